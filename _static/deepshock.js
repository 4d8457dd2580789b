/* The DeepSeek Shock: draws every chart of a page with the site's own Vega runtime (no CDN,
 * no Vega-Lite: each chart arrives compiled to Vega at build time, deepshock.book.vega).
 *
 * Each chart is a <div class="deepshock-chart"> whose inline script hands its payload to
 * deepshockChart(el, payload): {wide: [vega, ...], narrow: [vega, ...] or null, data: {key:
 * rows}, layout: {font, title, subtitle, axisTitle}}; each list holds the chart and, for a
 * wrapped facet, the same chart with one column fewer at a time. The runtime (vega-bundle.js,
 * 0.5 MB, 147 kB brotli) is fetched only when the first chart comes near the viewport, and
 * each chart is drawn when it does (all at once when window.deepshockEager is set before the
 * page's scripts run, as the benchmark does).
 * Layout is chosen for the column the chart is drawn in: below NARROW px the chart's phone
 * layout, titles wrapped to the column, label limits and legends capped, and the plots shrunk
 * (facets drop columns) until the whole chart fits, so it is never scaled down as a picture.
 * A chart at the top of its page (payload.preview) shows its build-time picture and goes live
 * only when the reader touches it or an input it is bound to.
 * Tooltips are drawn by this file too (vega-tooltip's role, without vega-embed).
 * window.deepshockDrawAll() draws every chart at once (tests, printing).
 */
(function () {
  "use strict";
  var MIN_PLOT = 90, NARROW = 560;
  var here = document.currentScript && document.currentScript.src;
  var bundleUrl = here ? here.replace(/deepshock\.js(\?[^#]*)?$/, "vega-bundle.js$1") : null;
  var bundle = null;

  function loadBundle() {
    if (window.vega && typeof window.vega.View === "function") return Promise.resolve();
    if (!bundle) {
      bundle = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = bundleUrl;
        s.async = true;
        s.onload = resolve;
        s.onerror = function () { reject(new Error("vega runtime missing")); };
        document.head.appendChild(s);
      });
    }
    return bundle;
  }

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  // A variant of the payload with its rows put back (each draw gets its own copy: Vega marks
  // the rows it ingests).
  function hydrate(spec, data) {
    var out = clone(spec);
    (function visit(node) {
      if (Array.isArray(node)) { node.forEach(visit); return; }
      if (!node || typeof node !== "object") return;
      if (Array.isArray(node.data)) {
        node.data.forEach(function (d) {
          if (d && d.deepshockData) { d.values = clone(data[d.deepshockData]); delete d.deepshockData; }
        });
      }
      Object.keys(node).forEach(function (k) { if (k !== "data") visit(node[k]); });
    })(out);
    return out;
  }

  // ---- text -------------------------------------------------------------------------------
  var canvas = document.createElement("canvas").getContext("2d");
  function textWidth(text, size, bold, font) {
    canvas.font = (bold ? "bold " : "") + size + "px " + font;
    return canvas.measureText(text).width;
  }
  function wrapLine(line, width, size, bold, font) {
    var words = String(line).split(/\s+/), lines = [], cur = "";
    words.forEach(function (w) {
      var next = cur ? cur + " " + w : w;
      if (cur && textWidth(next, size, bold, font) > width) { lines.push(cur); cur = w; }
      else { cur = next; }
    });
    if (cur) lines.push(cur);
    return lines;
  }
  function wrapAll(text, width, size, bold, font) {
    var out = [];
    [].concat(text).forEach(function (l) { out = out.concat(wrapLine(l, width, size, bold, font)); });
    return out;
  }
  function wrappable(t) { return typeof t === "string" || Array.isArray(t); }

  // ---- layout for the column (on the compiled Vega spec) ------------------------------------
  function wrapTitle(spec, width, fonts) {
    var title = spec.title;
    if (!title) return;
    if (typeof title !== "object" || Array.isArray(title)) title = spec.title = {text: title};
    if (wrappable(title.text)) title.text = wrapAll(title.text, width, fonts.title, true, fonts.font);
    if (title.subtitle && wrappable(title.subtitle)) {
      title.subtitle = wrapAll(title.subtitle, width, fonts.subtitle, false, fonts.font);
    }
  }

  // Label limits of axes and legends, and legends' columns, capped for the column.
  function capLimits(node, axisLimit, legendLimit, where, width) {
    if (Array.isArray(node)) { node.forEach(function (n) { capLimits(n, axisLimit, legendLimit, where, width); }); return; }
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (k) {
      if (k === "data") return;
      var v = node[k];
      if (k === "labelLimit" && typeof v === "number") {
        node[k] = Math.min(v, where === "legend" ? legendLimit : axisLimit);
      } else if (k === "columns" && where === "legend" && typeof v === "number") {
        node[k] = width < 420 ? 1 : Math.min(v, 2);
      } else {
        capLimits(v, axisLimit, legendLimit, /^legend/.test(k) ? "legend" : where, width);
      }
    });
  }

  // The value of a size: a number, or a signal with a fixed value.
  function sizeOf(spec, ref, fallback) {
    if (typeof ref === "number") return ref;
    var name = ref && ref.signal;
    var found = (spec.signals || []).filter(function (s) { return s.name === name; })[0];
    return found && typeof found.value === "number" ? found.value : fallback;
  }

  // Axis titles wrap to the column (x) or to the plot's height (y).
  function wrapAxisTitles(spec, width, fonts) {
    (function visit(node, height) {
      if (Array.isArray(node)) { node.forEach(function (n) { visit(n, height); }); return; }
      if (!node || typeof node !== "object") return;
      var enc = node.encode && node.encode.update;
      if (node === spec) height = sizeOf(spec, typeof spec.height === "number" ? spec.height : {signal: "height"}, 200);
      else if (enc && enc.height) height = sizeOf(spec, enc.height, 200);
      (node.axes || []).forEach(function (axis) {
        if (!wrappable(axis.title)) return;
        var x = axis.orient === "bottom" || axis.orient === "top";
        var own = (fonts.yTitles || {})[[].concat(axis.title).join(" ")];
        var limit = x ? width * 0.85 : own || Math.max(120, height * 1.1);
        axis.title = wrapAll(axis.title, limit, fonts.axisTitle, false, fonts.font);
      });
      (node.marks || []).forEach(function (m) { visit(m, height); });
    })(spec, 200);
  }

  function narrow(spec, width, fonts) {
    var cfg = spec.config = spec.config || {};
    var axisLimit = Math.round(width * 0.35), legendLimit = Math.round(width * 0.8);
    capLimits(spec, axisLimit, legendLimit, null, width);
    wrapAxisTitles(spec, width, fonts);
    cfg.axis = Object.assign({labelLimit: axisLimit}, cfg.axis || {});
    cfg.axis.labelLimit = Math.min(cfg.axis.labelLimit, axisLimit);
    cfg.legend = Object.assign({}, cfg.legend || {});
    cfg.legend.labelLimit = Math.min(cfg.legend.labelLimit || legendLimit, legendLimit);
    cfg.legend.columns = width < 420 ? 1 : Math.min(cfg.legend.columns || 2, 2);
    cfg.axisX = Object.assign({labelOverlap: true, labelFlush: true}, cfg.axisX || {});
  }

  // The chart's fixed widths: the view's own, and every width signal of its parts (concat
  // views, facet cells), as {name: px}.
  function widthsOf(spec) {
    var out = {};
    if (typeof spec.width === "number") out.width = spec.width;
    (spec.signals || []).forEach(function (s) {
      if (/(^|_)width$/.test(s.name) && typeof s.value === "number" && !s.update) out[s.name] = s.value;
    });
    return out;
  }
  function setWidths(spec, widths) {
    Object.keys(widths).forEach(function (name) {
      if (name === "width" && typeof spec.width === "number") { spec.width = widths[name]; return; }
      (spec.signals || []).forEach(function (s) { if (s.name === name) s.value = widths[name]; });
    });
  }

  // ---- tooltips ---------------------------------------------------------------------------
  var tip = null;
  function tooltip(handler, event, item, value) {
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "vg-tooltip-element";
      tip.className = "deepshock-tooltip";
      tip.setAttribute("role", "tooltip");
      document.body.appendChild(tip);
    }
    if (value == null || value === "") { tip.classList.remove("visible"); return; }
    tip.textContent = "";
    if (typeof value === "object" && !Array.isArray(value)) {
      if (value.title != null) {
        var head = document.createElement("h2");
        head.textContent = String(value.title);
        tip.appendChild(head);
      }
      var table = document.createElement("table");
      Object.keys(value).forEach(function (key) {
        var v = value[key];
        if (key === "title" || v === undefined) return;
        var row = table.insertRow();
        row.insertCell().textContent = key;
        row.cells[0].className = "key";
        row.insertCell().textContent = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
      });
      tip.appendChild(table);
    } else {
      tip.textContent = Array.isArray(value) ? "[" + value.join(", ") + "]" : String(value);
    }
    tip.classList.add("visible");
    var box = tip.getBoundingClientRect(), gap = 10;
    var x = event.clientX + gap, y = event.clientY + gap;
    if (x + box.width > window.innerWidth - 4) x = Math.max(4, event.clientX - gap - box.width);
    if (y + box.height > window.innerHeight - 4) y = Math.max(4, event.clientY - gap - box.height);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  // ---- drawing ----------------------------------------------------------------------------
  function svgWidth(el) {
    var svg = el.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width : 0;
  }

  function fail(el, message) {
    el.textContent = "Chart could not be drawn: " + message;
    el.classList.add("chart-error");
  }

  function embed(el, spec) {
    el.dataset.renders = String(Number(el.dataset.renders || 0) + 1);
    if (el._deepshockView) { el._deepshockView.finalize(); el._deepshockView = null; }
    var view = new window.vega.View(window.vega.parse(spec), {
      renderer: "svg", container: el, tooltip: tooltip, logLevel: window.vega.Warn});
    el._deepshockView = {view: view, finalize: function () { view.finalize(); }};
    return view.runAsync().then(function () { return svgWidth(el); });
  }

  function draw(el) {
    var chart = el._deepshockSpec;
    if (!chart) return Promise.resolve();
    if (!chart.wide) return Promise.resolve(fail(el, "no compiled chart (rebuild the book)"));
    var avail = Math.floor(el.clientWidth) || 600;
    el.dataset.drawnFor = String(avail);
    var phone = avail < NARROW;
    var family = phone && chart.narrow ? chart.narrow : chart.wide;
    var level = 0, widths = null, spec = null;
    function prepare() {  // the family's spec at this level, laid out for the column
      spec = hydrate(family[level], chart.data || {});
      wrapTitle(spec, avail - 16, chart.layout);  // vega pads the view by 5 px a side
      if (phone) narrow(spec, avail, chart.layout);
      if (widths) setWidths(spec, widths);
      widths = widthsOf(spec);
    }
    // Narrow the chart by `cut` px: every width at once, or a grid's columns by their share
    // (a column fewer when the cells would get too small); false when nothing can shrink.
    function shrink(cut) {
      var columns = spec.layout && spec.layout.columns;
      var grid = typeof columns === "number" && columns > 1;
      if (grid && level + 1 < family.length) {
        var w = Math.max.apply(null, Object.keys(widths).map(function (k) { return widths[k]; }).concat([0]));
        if (w - cut / columns < MIN_PLOT * 1.2) { level += 1; prepare(); return true; }
      }
      var changed = false;
      Object.keys(widths).forEach(function (name) {
        var next = Math.max(MIN_PLOT, Math.floor(widths[name] - (grid ? cut / columns : cut)));
        if (next < widths[name]) changed = true;
        widths[name] = next;
      });
      setWidths(spec, widths);
      return changed;
    }
    var tries = 0, lastWidth = null, lastCut = null;
    function fit(width) {
      var over = width - avail;
      if (over <= 0.5 || tries++ >= 6) { el.classList.toggle("deepshock-overflow", over > 0.5); return; }
      // The chart narrows by less than its plots do (paddings scale with them): learn by how
      // much from the last step, and overshoot a little.
      var gain = lastCut ? Math.min(1, Math.max(0.3, (lastWidth - width) / lastCut)) : 1;
      lastWidth = width;
      lastCut = Math.ceil(over / gain) + 2;
      if (!shrink(lastCut)) { el.classList.add("deepshock-overflow"); return; }
      return embed(el, clone(spec)).then(fit);
    }
    return loadBundle().then(function () { prepare(); return embed(el, clone(spec)); }).then(fit)
      .then(function () { el.classList.add("deepshock-drawn"); })
      .catch(function (e) { fail(el, e && e.message ? e.message : e); });
  }

  var registered = [], io = null;
  function drawOnce(el) {
    if (!el._deepshockDrawing) el._deepshockDrawing = draw(el);
    return el._deepshockDrawing;
  }
  window.deepshockDrawAll = function () { return Promise.all(registered.map(drawOnce)); };

  // A chart shown as its build-time picture (deepshock.book.preview) goes live when the reader
  // touches it, or focuses or types in an input it is bound to.
  function wakeOnTouch(el, chart) {
    function wake() { drawOnce(el); }
    var once = {once: true, passive: true};
    ["pointerenter", "pointerdown", "touchstart", "focusin"].forEach(function (type) {
      el.addEventListener(type, wake, once);
    });
    ((chart.wide && chart.wide[0].signals) || []).forEach(function (s) {
      var input = s.bind && s.bind.element && document.querySelector(s.bind.element);
      if (input) ["focus", "pointerdown", "input"].forEach(function (type) { input.addEventListener(type, wake, once); });
    });
  }

  window.deepshockChart = function (el, chart) {
    el._deepshockSpec = chart;
    registered.push(el);
    if (window.deepshockEager || !("IntersectionObserver" in window)) { drawOnce(el); return; }
    if (chart.preview && el.querySelector(".deepshock-preview")) { wakeOnTouch(el, chart); return; }
    if (!io) {
      io = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          io.unobserve(entry.target);
          drawOnce(entry.target);
        });
      }, {rootMargin: "200px 0px"});
    }
    io.observe(el);
  };

  function start() {
    window.addEventListener("beforeprint", window.deepshockDrawAll);
    var last = window.innerWidth, timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (Math.abs(window.innerWidth - last) < 30) return;
        last = window.innerWidth;
        registered.forEach(function (el) {
          if (el._deepshockDrawing && Math.abs(el.clientWidth - Number(el.dataset.drawnFor)) > 20) {
            el._deepshockDrawing = el._deepshockDrawing.then(function () { return draw(el); });
          }
        });
      }, 250);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
