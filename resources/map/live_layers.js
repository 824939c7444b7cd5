/* Live marker layers of the control-room map (ours, MIT like the project).
 *
 * folium composes the page (basemap, village outlines, layer switcher); this module keeps the
 * live markers in plain objects keyed by stable ids ("camera/cam01", "sensor/wl_phu_oc", ...)
 * and applies batched JSON messages pushed by the app over QWebChannel:
 *   {"seq": n, "upsert": [marker, ...], "remove": [id, ...], "focus": {...}, "select": [id, ...]}
 * A marker update mutates the existing element (data-state attribute + a colour variable); it
 * never re-renders the page or re-creates markers. Clicks go back through the bridge.
 */
(function () {
  "use strict";
  var GC_EVERY_MS = 60000;  // a collection of the page's few MB takes milliseconds

  var GLYPHS = {
    cameras: '<svg viewBox="0 0 24 24"><path fill="currentColor" fill-rule="evenodd" d="M4 7h3l2-2h6l2 2h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zm8 2.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z"/></svg>',
    speakers: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M3 9h4l5-4v14l-5-4H3z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12"/></svg>',
    water: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M12 2.5S5.5 10 5.5 14.5a6.5 6.5 0 0 0 13 0C18.5 10 12 2.5 12 2.5z"/></svg>',
    air: '<svg viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M3 9h11a3 3 0 1 0-3-3M3 13h16a3 3 0 1 1-3 3M3 17h8"/></svg>',
    alerts: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M12 3 1.5 21h21zm-1 6h2v6h-2zm0 8h2v2h-2z"/></svg>',
    reports: '<svg viewBox="0 0 24 24"><path fill="currentColor" d="M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z"/></svg>'
  };

  var st = {
    map: null, bridge: null, groups: {}, markers: {}, data: {}, selected: {}, focusTimer: null,
    applied: 0, lastSeq: -1, tileErrors: 0, tilesLoaded: 0, ready: false
  };

  function glyphFor(m) {
    if (m.layer === "sensors") {
      return (m.kind === "air_quality") ? GLYPHS.air : GLYPHS.water;
    }
    return GLYPHS[m.layer] || "";
  }

  function glyphColour(hex) {  // dark glyph on light badges (AQI yellow), white otherwise
    var v = parseInt(String(hex).replace("#", ""), 16);
    if (isNaN(v)) { return "#fff"; }
    var lum = 0.299 * (v >> 16 & 255) + 0.587 * (v >> 8 & 255) + 0.114 * (v & 255);
    return lum > 170 ? "#1b1b1b" : "#fff";
  }

  function iconFor(m) {
    var pulse = (m.pulse !== undefined && m.pulse !== null) ? " cr-pulse-" + m.pulse : "";
    return L.divIcon({
      className: "cr-marker cr-" + m.layer + pulse,
      html: '<div class="cr-badge" style="--c:' + m.color + ";color:" + glyphColour(m.color) + '">' + glyphFor(m) + "</div>",
      iconSize: m.layer === "alerts" ? [30, 30] : [24, 24],
      iconAnchor: m.layer === "alerts" ? [15, 15] : [12, 12],
      tooltipAnchor: [12, 0]
    });
  }

  function tipElement(lines) {
    var box = document.createElement("div");
    (lines || []).forEach(function (line, i) {
      var row = document.createElement("div");
      row.className = i === 0 ? "cr-tip-title" : "cr-tip-line";
      row.textContent = line;  // text only: names come from config and devices
      box.appendChild(row);
    });
    return box;
  }

  function decorate(marker, m) {
    var el = marker.getElement();
    if (!el) { return; }
    el.setAttribute("data-id", m.id);
    el.setAttribute("data-state", m.state);
    el.classList.toggle("cr-selected", !!st.selected[m.id]);
    var badge = el.firstChild;
    if (badge) {
      badge.style.setProperty("--c", m.color);
      badge.style.color = glyphColour(m.color);
    }
  }

  function upsert(m) {
    var marker = st.markers[m.id];
    var old = st.data[m.id];
    st.data[m.id] = m;
    if (!marker) {
      marker = L.marker([m.lat, m.lon], { icon: iconFor(m), riseOnHover: true, keyboard: false });
      // the tooltip is built when it opens, from the newest data: building it on every update
      // left a detached element per reading for the collector, and the web process grew by
      // ~20 MB a minute in a live room (benchmarks/map_memory.py)
      marker.bindTooltip(function () { return tipElement(st.data[m.id].tip); }, { direction: "right", className: "cr-tip" });
      marker.on("add", function () { decorate(marker, st.data[m.id]); });
      marker.on("click", function () { clicked(m.id); });
      st.markers[m.id] = marker;
      var group = st.groups[m.layer];
      if (group) { group.addLayer(marker); }
      return;
    }
    if (old.lat !== m.lat || old.lon !== m.lon) { marker.setLatLng([m.lat, m.lon]); }
    if (old.pulse !== m.pulse || old.kind !== m.kind) {
      marker.setIcon(iconFor(m));
    } else {
      marker.options.icon = iconFor(m);  // used if the layer is re-added; no DOM work now
    }
    decorate(marker, m);
    var tooltip = marker.getTooltip();
    if (tooltip && tooltip.isOpen() && JSON.stringify(old.tip) !== JSON.stringify(m.tip)) { tooltip.update(); }
  }

  function remove(id) {
    var marker = st.markers[id];
    if (!marker) { return; }
    var group = st.groups[st.data[id].layer];
    if (group) { group.removeLayer(marker); }
    delete st.markers[id];
    delete st.data[id];
    delete st.selected[id];
  }

  function clicked(id) {
    if (st.bridge) { st.bridge.markerClicked(id); }
  }

  function select(ids) {
    var previous = st.selected;
    st.selected = {};
    (ids || []).forEach(function (id) { st.selected[id] = true; });
    Object.keys(previous).concat(ids || []).forEach(function (id) {
      var marker = st.markers[id];
      if (marker && st.data[id]) { decorate(marker, st.data[id]); }
    });
  }

  function focus(f) {
    st.userMoved = true;
    var zoom = Math.max(st.map.getZoom(), f.zoom || 16);
    st.map.flyTo([f.lat, f.lon], zoom, { duration: 0.6 });
    var marker = f.id ? st.markers[f.id] : null;
    var el = marker ? marker.getElement() : null;
    document.querySelectorAll(".cr-focus").forEach(function (e) { e.classList.remove("cr-focus"); });
    if (el) {
      el.classList.add("cr-focus");
      clearTimeout(st.focusTimer);
      st.focusTimer = setTimeout(function () { el.classList.remove("cr-focus"); }, 6000);
    }
  }

  function apply(msg) {
    var t0 = performance.now();
    (msg.upsert || []).forEach(upsert);
    (msg.remove || []).forEach(remove);
    if (msg.select) { select(msg.select); }
    if (msg.focus) { focus(msg.focus); }
    st.applied += 1;
    st.lastSeq = msg.seq;
    var spent = performance.now() - t0;
    if (st.bridge && msg.seq !== undefined) {
      // acknowledge after the browser has painted the change (the benchmark's end point)
      requestAnimationFrame(function () { st.bridge.batchApplied(msg.seq, spent); });
    }
  }

  function bindVillages(villageLayer) {
    if (!villageLayer) { return; }
    villageLayer.eachLayer(function (layer) {
      var id = layer.feature && layer.feature.properties && layer.feature.properties.id;
      if (!id) { return; }
      layer.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        if (st.bridge) { st.bridge.villageClicked(id); }
      });
    });
  }

  function zoomBand() {  // smaller badges when zoomed out, where a village's markers crowd
    var z = st.map.getZoom();
    st.map.getContainer().setAttribute("data-zoom-band", z <= 14 ? "far" : (z <= 15 ? "mid" : "near"));
  }

  function fitToPanel(opts) {
    var size = st.map.getSize();
    if (opts.layerControl) {  // a narrow dock shows the layer switcher as its icon
      if (size.x >= 700) { opts.layerControl.expand(); } else { opts.layerControl.collapse(); }
    }
    if (!st.userMoved && opts.villages && opts.villages.getBounds().isValid()) {
      st.map.fitBounds(opts.villages.getBounds(), { padding: [30, 30], animate: false });
    }
  }

  // A wall display: no controls, and the whole commune in view whatever the operator did.
  function present(on) {
    document.body.classList.toggle("cr-presenting", !!on);
    st.map.options.zoomSnap = on ? 0.25 : 1;  // fill the screen, not the nearest whole zoom level
    if (on && st.opts) {
      st.userMoved = false;
      fitToPanel(st.opts);
    }
    return document.body.classList.contains("cr-presenting");
  }

  function init(opts) {
    st.map = opts.map;
    st.opts = opts;
    opts.layers.forEach(function (spec) {
      var group = L.featureGroup();
      st.groups[spec.layer] = group;
      if (spec.visible) { group.addTo(st.map); }
      if (opts.layerControl) { opts.layerControl.addOverlay(group, spec.title); }
    });
    bindVillages(opts.villages);
    L.control.scale({ imperial: false }).addTo(st.map);
    fitToPanel(opts);
    // until the operator moves the map, keep the commune fitted as the dock is resized
    st.map.on("resize", function () { fitToPanel(opts); });
    zoomBand();
    st.map.on("zoomend", zoomBand);
    st.map.on("dragstart", function () { st.userMoved = true; });
    st.map.getContainer().addEventListener("wheel", function () { st.userMoved = true; }, { passive: true });
    if (opts.tiles) {
      opts.tiles.on("tileerror", function (e) { st.tileErrors += 1; e.tile.style.visibility = "hidden"; });
      opts.tiles.on("tileload", function () { st.tilesLoaded += 1; });
      // Leaflet never asks again for a failed tile: retry now and then, so the basemap comes
      // back by itself when the link returns (the app answers from its cache or the server)
      setInterval(function () {
        if (st.tileErrors > 0) { st.tileErrors = 0; opts.tiles.redraw(); }
      }, 60000);
    }
    // a live room's updates leave garbage that V8, seeing no pressure, leaves uncollected for
    // hours while the web process grows; the app starts the engine with gc() exposed
    if (typeof window.gc === "function") { setInterval(function () { window.gc(); }, GC_EVERY_MS); }
    if (typeof QWebChannel === "undefined" || typeof qt === "undefined") {
      st.ready = true;  // opened in a plain browser: no app to talk to
      return;
    }
    new QWebChannel(qt.webChannelTransport, function (channel) {
      st.bridge = channel.objects.mapBridge;
      st.bridge.pushed.connect(function (json) { apply(JSON.parse(json)); });
      st.ready = true;
      st.bridge.pageReady();
    });
  }

  window.crLive = {
    init: init,
    apply: apply,
    present: present,
    ids: function () { return Object.keys(st.data); },
    count: function (layer) {
      return Object.keys(st.data).filter(function (id) { return !layer || st.data[id].layer === layer; }).length;
    },
    info: function (id) {
      var m = st.data[id];
      if (!m) { return null; }
      var el = st.markers[id].getElement();
      return { state: m.state, color: m.color, lat: m.lat, lon: m.lon, tip: m.tip,
               domState: el ? el.getAttribute("data-state") : null, selected: !!st.selected[id] };
    },
    click: clicked,
    center: function () { var c = st.map.getCenter(); return [c.lat, c.lng, st.map.getZoom()]; },
    screenPoint: function (id) {
      var marker = st.markers[id];
      var el = marker && marker.getElement();
      if (!el) { return null; }
      var r = el.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    },
    stats: function () {
      return { applied: st.applied, lastSeq: st.lastSeq, tileErrors: st.tileErrors,
               tilesLoaded: st.tilesLoaded, ready: st.ready, markers: Object.keys(st.data).length };
    }
  };
})();
