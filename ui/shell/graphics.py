"""Who draws the map's web page: the GPU through OpenGL, or Qt's own software renderer.

The map's web page is composited by Qt Quick. With a GPU that is OpenGL in hardware, and cheap.
Where OpenGL is only emulated on the CPU (Mesa's llvmpipe: no GPU driver, a virtual machine, a
remote session, Xvfb) the emulation took ~0.84 of a core of a 2-core PC with the room at rest
(benchmarks/rest_cpu.py under Xvfb: 1.46 cores in all, of which 0.84 in llvmpipe threads); Qt's
software renderer draws the same page for next to nothing. So: software when OpenGL is emulated.
CONTROLROOM_RENDERER=gl or =software overrides the choice.
"""

from __future__ import annotations

import logging
import os

from PyQt6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext

log = logging.getLogger(__name__)

# Mesa on Linux; SwiftShader; Windows with no GPU driver ("GDI Generic", "Microsoft Basic Render Driver")
EMULATED_GL = ("llvmpipe", "softpipe", "swrast", "swiftshader", "software rasterizer", "gdi generic", "basic render")
GL_RENDERER = 0x1F01


def opengl_renderer() -> str | None:
    """The OpenGL driver's renderer string ("llvmpipe (LLVM 15…)", "Mesa Intel(R) UHD…"), or None."""
    from PyQt6.QtOpenGL import QOpenGLVersionFunctionsFactory, QOpenGLVersionProfile

    context = QOpenGLContext()
    if not context.create():
        return None
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not context.makeCurrent(surface):
            return None
        profile = QOpenGLVersionProfile()
        profile.setVersion(2, 0)
        functions = QOpenGLVersionFunctionsFactory.get(profile, context)
        renderer = functions.glGetString(GL_RENDERER) if functions is not None else None
        context.doneCurrent()
        return str(renderer) if renderer else None
    finally:
        surface.destroy()


def wants_software(choice: str, renderer: str | None) -> bool:
    """`choice` is CONTROLROOM_RENDERER ("gl", "software" or empty for automatic)."""
    if choice in ("gl", "software"):
        return choice == "software"
    return renderer is None or any(name in renderer.lower() for name in EMULATED_GL)


def choose_quick_renderer() -> str:
    """Call after the QApplication exists and before any web view: returns what was chosen."""
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return "platform"  # nothing is shown on a screen: leave Qt's default
    choice = os.environ.get("CONTROLROOM_RENDERER", "").strip().lower()
    renderer = None if choice in ("gl", "software") else opengl_renderer()
    if wants_software(choice, renderer):
        from PyQt6.QtQuick import QQuickWindow, QSGRendererInterface

        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
        log.info("map drawn by Qt's software renderer (OpenGL: %s)", renderer or choice or "none")
        return "software"
    log.info("map drawn with OpenGL (%s)", renderer or choice)
    return "gl"
