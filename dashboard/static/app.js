/* tradefleet dashboard: charts (Chart.js, vendored) and live updates (server-sent events). */
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var dataEl = document.getElementById("chart-data");
  var data = dataEl ? JSON.parse(dataEl.textContent) : null;
  var charts = {};

  function fmtTime(ms) { return new Date(ms).toISOString().slice(0, 10); }

  // time axes are linear in milliseconds: distance on the axis is proportional to time
  var timeAxis = { type: "linear", ticks: { maxTicksLimit: 10, callback: function (v) { return fmtTime(v); } } };

  function equityChart() {
    var el = document.getElementById("equity-chart");
    if (!el || !window.Chart || !data) return;
    charts.equity = new Chart(el, {
      type: "line",
      data: { datasets: [{ label: "equity", data: data.equity.map(function (p) { return { x: p[0], y: p[1] }; }),
                           borderColor: "#2b6cb0", pointRadius: 0, borderWidth: 1.5, tension: 0 }] },
      options: { animation: false, maintainAspectRatio: false, parsing: false, plugins: { legend: { display: false } },
                 scales: { x: timeAxis } }
    });
    el.setAttribute("data-points", String(data.equity.length));
    var d = document.getElementById("daily-chart");
    if (d) {
      charts.daily = new Chart(d, {
        type: "bar",
        data: { datasets: [{ label: "daily P&L", data: data.daily.map(function (r) { return { x: Date.parse(r.day), y: r.pnl }; }),
                             barThickness: 3,
                             backgroundColor: data.daily.map(function (r) { return r.pnl < 0 ? "#c53030" : "#2f855a"; }) }] },
        options: { animation: false, maintainAspectRatio: false, parsing: false, plugins: { legend: { display: false } },
                   scales: { x: timeAxis } }
      });
    }
  }

  function regimeCharts() {
    if (!window.Chart || !data || !data.regimes) return;
    document.querySelectorAll("canvas.regime-chart").forEach(function (el) {
      var pts = data.regimes[el.getAttribute("data-market")] || [];
      new Chart(el, {
        type: "line",
        data: { datasets: [{ label: "regime", data: pts.map(function (p) { return { x: p[0], y: p[1] }; }),
                             stepped: true, pointRadius: 0, borderWidth: 1.5, borderColor: "#4a5568" }] },
        options: { animation: false, maintainAspectRatio: false, parsing: false, plugins: { legend: { display: false } },
                   scales: { x: timeAxis, y: { min: -1.2, max: 1.2, ticks: { stepSize: 1, callback: function (v) {
                     return v === 1 ? "bull" : v === -1 ? "bear" : v === 0 ? "sideways" : ""; } } } } }
      });
      el.setAttribute("data-points", String(pts.length));
    });
  }

  function allocChart() {
    var el = document.getElementById("alloc-chart");
    if (!el || !window.Chart || !data) return;
    var palette = ["#2b6cb0", "#2f855a", "#c05621", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568"];
    var bots = Object.keys(data.allocation);
    charts.alloc = new Chart(el, {
      type: "line",
      data: { datasets: bots.map(function (b, i) {
        return { label: b, data: data.allocation[b].map(function (p) { return { x: p[0], y: p[1] }; }),
                 borderColor: palette[i % palette.length], pointRadius: 0, borderWidth: 1, stepped: true };
      }) },
      options: { animation: false, maintainAspectRatio: false, parsing: false,
                 scales: { x: timeAxis, y: { min: 0, max: 1 } } }
    });
  }

  function tcaChart() {
    // implementation shortfall per group in bps of arrival notional, one stacked bar per part
    var el = document.getElementById("tca-chart");
    if (!el || !window.Chart || !data || !data.tca) return;
    var parts = ["delay", "spread", "impact", "fees"];
    var colours = { delay: "#975a16", spread: "#2b6cb0", impact: "#c53030", fees: "#4a5568" };
    var groups = data.tca.groups;
    charts.tca = new Chart(el, {
      type: "bar",
      data: { labels: groups.map(function (g) { return g.key; }),
              datasets: parts.map(function (c) {
                return { label: c + " (bps)", data: groups.map(function (g) { return g.bps[c]; }),
                         backgroundColor: colours[c] };
              }) },
      options: { animation: false, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "bps" } } } }
    });
  }

  function onState(s) {
    var pill = document.getElementById("live-state");
    if (pill) { pill.textContent = s.state.toUpperCase() + " · " + s.now; pill.className = "pill state-" + s.state; }
    var fs = document.getElementById("fleet-state");
    if (fs) { fs.textContent = s.state.toUpperCase(); fs.className = "big state-" + s.state; }
    var eq = document.getElementById("equity-last");
    if (eq && s.equity) { eq.textContent = s.equity[1].toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
    var fc = document.getElementById("fill-count");
    if (fc) fc.textContent = String(s.fills);
    if (charts.equity && s.equity) {
      var ds = charts.equity.data.datasets[0];
      var last = data.equity.length ? data.equity[data.equity.length - 1][0] : null;
      if (last === null || s.equity[0] > last) {
        data.equity.push(s.equity); ds.data.push({ x: s.equity[0], y: s.equity[1] });
        charts.equity.update("none");
      }
    }
    if (page === "bots") {
      var paused = {}; s.paused_bots.forEach(function (b) { paused[b] = true; });
      document.querySelectorAll("#bots-table tr[data-bot]").forEach(function (tr) {
        var cell = tr.querySelector(".bot-status"), name = tr.getAttribute("data-bot");
        if (!cell) return;
        if (paused[name] && cell.textContent === "active") cell.textContent = "paused";
        if (!paused[name] && cell.textContent === "paused") cell.textContent = "active";
      });
    }
  }

  function live() {
    if (!window.EventSource || page === "" || page === null) return;
    var es = new EventSource("/api/stream");
    es.addEventListener("state", function (e) { onState(JSON.parse(e.data)); });
  }

  equityChart();
  allocChart();
  tcaChart();
  regimeCharts();
  live();
})();
