/* Flashpoint: draws the trend charts of /trends with uPlot from each figure's data-chart. */
(function () {
  "use strict";
  function draw(fig) {
    var d = JSON.parse(fig.getAttribute("data-chart"));
    var opts = {
      width: Math.max(320, (fig.clientWidth || 656) - 16),
      height: 220,
      scales: { x: { time: true } },
      series: [
        {},
        { label: "stories", stroke: "#1f4e8c", width: 2 },
        { label: "expected", stroke: "#777", dash: [4, 4] },
        { label: "signals from", stroke: "#b5860b" },
        {
          label: "signal",
          stroke: "#c0392b",
          paths: function () { return null; },
          points: { show: true, size: 10, fill: "#c0392b" }
        }
      ],
      bands: [{ series: [3, 2], fill: "rgba(181, 134, 11, 0.15)" }],
      axes: [{}, { label: "stories a day" }]
    };
    new uPlot(opts, [d.x, d.stories, d.expected, d.upper, d.signals], fig);
  }
  function drawAll() {
    document.querySelectorAll("figure.chart[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
