"""The map's renderer: software where OpenGL is only emulated on the CPU, OpenGL on a GPU."""

from __future__ import annotations

from controlroom.ui.shell.graphics import choose_quick_renderer, wants_software


def test_emulated_opengl_gets_the_software_renderer_and_a_gpu_keeps_opengl():
    assert wants_software("", "llvmpipe (LLVM 15.0.6, 256 bits)")
    assert wants_software("", "SwiftShader Device (Subzero)")
    assert wants_software("", "GDI Generic")  # Windows with no GPU driver
    assert wants_software("", None)  # no OpenGL at all
    assert not wants_software("", "Mesa Intel(R) UHD Graphics 620 (KBL GT2)")
    assert not wants_software("", "NVIDIA GeForce GTX 1050/PCIe/SSE2")


def test_the_operator_setting_wins():
    assert not wants_software("gl", "llvmpipe (LLVM 15.0.6, 256 bits)")
    assert wants_software("software", "Mesa Intel(R) UHD Graphics 620")


def test_an_offscreen_console_leaves_qt_its_default(qapp):
    assert choose_quick_renderer() == "platform"
