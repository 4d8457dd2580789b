/* The DeepSeek Shock: draws every chart of a page with the site's own vega bundle (no CDN).
 *
 * Each chart is a <div class="deepshock-chart"> whose inline script hands its Vega-Lite spec to
 * deepshockChart(el, spec). The bundle (0.9 MB) is fetched only when the first chart comes near
 * the viewport, and each chart is drawn when it does (all at once when window.deepshockEager
 * is set before the page's scripts run, as the benchmark does).
 * Layout is chosen for the column the chart is drawn in: titles wrap to the column, no text is
 * smaller than MIN_FONT px, and on a narrow column the plots shrink (facets drop columns,
 * legends stack) until the whole chart fits, so it is never scaled down as a picture.
 * window.deepshockDrawAll() draws every chart at once (tests, printing).
 */
(function () {
  "use strict";
  var MIN_FONT = 11, MIN_PLOT = 90, NARROW = 560;
  var here = document.currentScript && document.currentScript.src;
  var bundleUrl = here ? here.replace(/deepshock\.js(\?.*)?$/, "vega-bundle.js") : null;
  var bundle = null;

  function loadBundle() {
    if (typeof window.vegaEmbed === "function") return Promise.resolve();
    if (!bundle) {
      bundle = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = bundleUrl;
        s.onload = resolve;
        s.onerror = function () { reject(new Error("vega bundle missing")); };
        document.head.appendChild(s);
      });
    }
    return bundle;
  }

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

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

  // Every font size in the spec (marks, axes, legends, headers, titles) at least MIN_FONT.
  function clampFonts(node) {
    if (Array.isArray(node)) { node.forEach(clampFonts); return; }
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (k) {
      if (k === "data" || k === "datasets") return;
      var v = node[k];
      if (/fontsize$/i.test(k) && typeof v === "number" && v < MIN_FONT) node[k] = MIN_FONT;
      else clampFonts(v);
    });
  }

  // ---- layout for the column --------------------------------------------------------------
  function wrapTitle(spec, width) {
    var cfg = spec.config || {}, t = cfg.title || {}, font = t.font || cfg.font || "sans-serif";
    var title = spec.title;
    if (!title) return;
    if (typeof title !== "object" || Array.isArray(title)) title = spec.title = {text: title};
    title.text = wrapAll(title.text, width, t.fontSize || 13, true, font);
    if (title.subtitle) {
      title.subtitle = wrapAll(title.subtitle, width, t.subtitleFontSize || MIN_FONT, false, font);
    }
  }

  function capLimits(node, axisLimit, legendLimit, where, width) {
    if (Array.isArray(node)) { node.forEach(function (n) { capLimits(n, axisLimit, legendLimit, where, width); }); return; }
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (k) {
      if (k === "data" || k === "datasets") return;
      var v = node[k];
      if (k === "labelLimit" && typeof v === "number") {
        node[k] = Math.min(v, where === "legend" ? legendLimit : axisLimit);
      } else if (k === "columns" && where === "legend" && typeof v === "number") {
        node[k] = width < 420 ? 1 : Math.min(v, 2);
      } else {
        capLimits(v, axisLimit, legendLimit, k === "legend" ? "legend" : where, width);
      }
    });
  }

  // Axis titles wrap to the plot; a bar's value label keeps clear of the axis labels: the x
  // scale of a view with text marks is padded by the widest label, at most a fifth of the
  // view's width (re-applied as the view shrinks, see fit()).
  var pads = [];
  function layoutAxes(node, width, cfg, data, view, spec) {
    if (Array.isArray(node)) { node.forEach(function (n) { layoutAxes(n, width, cfg, data, view, spec); }); return; }
    if (!node || typeof node !== "object") return;
    data = node.data || data;
    if (typeof node.width === "number" || node.layer || node.mark) view = view && !("width" in node) ? view : node;
    var font = cfg.font || "sans-serif", size = (cfg.axis && cfg.axis.titleFontSize) || 12;
    var enc = node.encoding;
    var widest = isText(node) || (node.layer || []).some(isText) ? widestLabel(spec, node, data) : 0;
    if (enc && typeof enc === "object") {
      ["x", "y"].forEach(function (ch) {
        var e = enc[ch];
        if (!e || typeof e !== "object") return;
        var limit = ch === "x" ? width * 0.85 : Math.max(120, (node.height || 200) * 1.1);
        if (typeof e.title === "string" || Array.isArray(e.title)) {
          e.title = wrapAll(e.title, limit, size, false, font);
        } else if (e.axis && (typeof e.axis.title === "string" || Array.isArray(e.axis.title))) {
          e.axis.title = wrapAll(e.axis.title, limit, size, false, font);
        }
      });
      var x = enc.x;
      var own = widest || node._deepshockWidest || 0;
      if (x && typeof x === "object" && x.type === "quantitative" && own) {
        pads.push({enc: x, view: view, widest: own});
      }
    }
    if (node.layer && widest) node.layer.forEach(function (l) { l._deepshockWidest = widest; });
    Object.keys(node).forEach(function (k) {
      if (k !== "data" && k !== "datasets" && k !== "encoding" && k !== "config") {
        layoutAxes(node[k], width, cfg, data, view, spec);
      }
    });
    delete node._deepshockWidest;
  }
  function applyPads(cfg) {
    pads.forEach(function (p) {
      var w = (p.view && typeof p.view.width === "number" ? p.view.width : null) ||
        (cfg.view && cfg.view.continuousWidth) || 300;
      p.enc.scale = Object.assign({}, p.enc.scale || {}, {padding: Math.round(Math.min(p.widest + 8, w * 0.2))});
    });
  }
  // Widest text a text mark draws, in px at MIN_FONT (from the chart's inline data).
  function widestLabel(spec, node, inherited) {
    var widest = 0;
    (function visit(n, data) {
      if (!n || typeof n !== "object") return;
      data = n.data || data;
      if (isText(n) && n.encoding && n.encoding.text && n.encoding.text.field) {
        var rows = (data && (data.values || (data.name && spec.datasets && spec.datasets[data.name]))) || [];
        var field = n.encoding.text.field;
        rows.forEach(function (r) {
          if (r && r[field] != null) widest = Math.max(widest, String(r[field]).length * MIN_FONT * 0.6);
        });
      }
      (n.layer || []).forEach(function (c) { visit(c, data); });
    })(node, node.data || inherited);
    return widest;
  }
  function isText(n) {
    var m = n && n.mark;
    return m === "text" || (m && typeof m === "object" && m.type === "text");
  }

  // A chart may carry its own narrow layout: usermeta.narrow = {transpose, set: {path: value},
  // drop: [path], note}, applied in that order, with paths like "layer/2" or
  // "vconcat/0/layer/1/mark/fontSize".
  function patch(spec) {
    var narrow = spec.usermeta && spec.usermeta.narrow;
    if (!narrow) return;
    function walkTo(path) {
      var keys = path.split("/"), node = spec;
      for (var i = 0; i < keys.length - 1 && node; i++) node = node[keys[i]];
      return {parent: node, key: keys[keys.length - 1]};
    }
    if (narrow.transpose) transpose(spec);
    Object.keys(narrow.set || {}).forEach(function (path) {
      var at = walkTo(path);
      if (at.parent) at.parent[at.key] = narrow.set[path];
    });
    (narrow.drop || []).slice().sort().reverse().forEach(function (path) {
      var at = walkTo(path);
      if (!at.parent) return;
      if (Array.isArray(at.parent)) at.parent.splice(Number(at.key), 1);
      else delete at.parent[at.key];
    });
    if (narrow.note && spec.title && typeof spec.title === "object") {
      var sub = [].concat(spec.title.subtitle || []), at2 = sub.length;
      while (at2 > 0 && /^Source: /.test(sub[at2 - 1])) at2--;
      sub.splice(at2, 0, narrow.note);
      spec.title.subtitle = sub;
    }
  }

  // Swap the x and y channels of every view (a wide grid becomes a tall one).
  function transpose(node) {
    if (Array.isArray(node)) { node.forEach(transpose); return; }
    if (!node || typeof node !== "object") return;
    var enc = node.encoding;
    if (enc) {
      [["x", "y"], ["x2", "y2"], ["xOffset", "yOffset"]].forEach(function (pair) {
        var a = enc[pair[0]], b = enc[pair[1]];
        delete enc[pair[0]]; delete enc[pair[1]];
        if (b !== undefined) enc[pair[0]] = b;
        if (a !== undefined) enc[pair[1]] = a;
      });
      ["x", "y"].forEach(function (ch) {
        if (enc[ch] && enc[ch].axis && typeof enc[ch].axis === "object") delete enc[ch].axis.labelAngle;
      });
    }
    if (typeof node.width === "number" || typeof node.height === "number") {
      var w = node.width, h = node.height;
      node.width = h; node.height = w;
    }
    if (node.layer) transpose(node.layer);
  }


  function narrow(spec, width) {
    var cfg = spec.config = spec.config || {};
    var axisLimit = Math.round(width * 0.35), legendLimit = Math.round(width * 0.8);
    capLimits(spec, axisLimit, legendLimit, null, width);
    pads = [];
    layoutAxes(spec, width, cfg, null, null, spec);
    cfg.axis = Object.assign({labelLimit: axisLimit}, cfg.axis || {});
    cfg.axis.labelLimit = Math.min(cfg.axis.labelLimit, axisLimit);
    cfg.legend = Object.assign({}, cfg.legend || {});
    cfg.legend.labelLimit = Math.min(cfg.legend.labelLimit || legendLimit, legendLimit);
    cfg.legend.columns = width < 420 ? 1 : Math.min(cfg.legend.columns || 2, 2);
    cfg.axisX = Object.assign({labelOverlap: true, labelFlush: true}, cfg.axisX || {});
  }

  // Shrink every sized view by `over` px of total width; returns false when nothing can shrink.
  function shrink(node, over, cfg) {
    var changed = false;
    if (!node || typeof node !== "object") return false;
    if (node.hconcat) {
      var ws = node.hconcat.map(function (c) { return c.width || 0; });
      var sum = ws.reduce(function (a, b) { return a + b; }, 0) || 1;
      node.hconcat.forEach(function (c, i) { changed = shrink(c, over * ws[i] / sum, cfg) || changed; });
      return changed;
    }
    if (node.vconcat || node.concat) {
      (node.vconcat || node.concat).forEach(function (c) { changed = shrink(c, over, cfg) || changed; });
      return changed;
    }
    if (node.facet || node.repeat) {
      var cols = node.columns || (node.facet && node.facet.column ? 3 : 1);
      var inner = node.spec || {};
      var w = typeof inner.width === "number" ? inner.width : (cfg.view && cfg.view.continuousWidth) || 200;
      var target = w - over / cols;
      if (target < MIN_PLOT * 1.2 && node.columns > 1) {
        node.columns -= 1;
        inner.width = w;
        return true;
      }
      inner.width = Math.max(MIN_PLOT, Math.floor(target));
      node.spec = inner;
      return inner.width < w;
    }
    var cur = typeof node.width === "number" ? node.width
      : (cfg.view && cfg.view.continuousWidth) || 300;
    var next = Math.max(MIN_PLOT, Math.floor(cur - over));
    if (node.width === "container") return false;
    node.width = next;
    return next < cur;
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
    return window.vegaEmbed(el, spec, {renderer: "svg", actions: false}).then(function (res) {
      el._deepshockView = res;
      return svgWidth(el);
    });
  }

  function draw(el) {
    var original = el._deepshockSpec;
    if (!original) return Promise.resolve();
    var avail = Math.floor(el.clientWidth) || 600;
    el.dataset.drawnFor = String(avail);
    var spec = clone(original);
    clampFonts(spec);
    if (avail < NARROW) patch(spec);
    wrapTitle(spec, avail - 16);  // vega pads the view by 5 px a side
    if (avail < NARROW) narrow(spec, avail);
    var tries = 0, lastWidth = null, lastCut = null;
    function fit(width) {
      var over = width - avail;
      if (over <= 0.5 || tries++ >= 6) { el.classList.toggle("deepshock-overflow", over > 0.5); return; }
      // The chart narrows by less than its plots do (paddings scale with them): learn by how
      // much from the last step, and overshoot a little.
      var gain = lastCut ? Math.min(1, Math.max(0.3, (lastWidth - width) / lastCut)) : 1;
      lastWidth = width;
      lastCut = Math.ceil(over / gain) + 2;
      if (!shrink(spec, lastCut, spec.config || {})) { el.classList.add("deepshock-overflow"); return; }
      return embedFitted().then(fit);
    }
    var layoutPads = pads; pads = [];
    function embedFitted() { pads = layoutPads; applyPads(spec.config || {}); pads = []; return embed(el, spec); }
    return loadBundle().then(embedFitted).then(fit)
      .then(function () { el.classList.add("deepshock-drawn"); })
      .catch(function (e) { fail(el, e && e.message ? e.message : e); });
  }

  var registered = [], io = null;
  function drawOnce(el) {
    if (!el._deepshockDrawing) el._deepshockDrawing = draw(el);
    return el._deepshockDrawing;
  }
  window.deepshockDrawAll = function () { return Promise.all(registered.map(drawOnce)); };

  window.deepshockChart = function (el, spec) {
    el._deepshockSpec = spec;
    registered.push(el);
    if (window.deepshockEager || !("IntersectionObserver" in window)) { drawOnce(el); return; }
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

  // MathJax (sphinx-mathjax-offline's copy, configured by the page, declared by a script of
  // type text/x-deepshock-lazy) when a formula nears the view.
  function lazyMath() {
    var formulas = document.querySelectorAll(".math");
    var declared = document.querySelector('script[type="text/x-deepshock-lazy"][src*="mathjax"]');
    if (!formulas.length || !declared || (window.MathJax && window.MathJax.version)) return;
    var loaded = false;
    function load() {
      if (loaded) return;
      loaded = true;
      var s = document.createElement("script");
      s.src = declared.src;
      s.async = true;
      document.head.appendChild(s);
    }
    window.addEventListener("beforeprint", load);
    if (!("IntersectionObserver" in window)) { load(); return; }
    var mo = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { mo.disconnect(); load(); }
    }, {rootMargin: "200px 0px"});
    Array.prototype.forEach.call(formulas, function (f) { mo.observe(f); });
  }

  function start() {
    lazyMath();
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
