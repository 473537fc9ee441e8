/* The assessment page (reviews/assessment.html): the weighted score shown while the reviewer
   picks points, as the server computes it: sum(points x weight) / sum(weights) x 10. */
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("assessment-form");
    var out = document.getElementById("weighted-score");
    var scored = document.getElementById("criteria-scored");
    if (!form || !out || !scored) { return; }
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

    function update() {
      var points = 0, weights = 0, done = 0;
      form.querySelectorAll("[data-criterion]").forEach(function (row) {
        var weight = parseFloat(row.getAttribute("data-weight"));
        var chosen = row.querySelector("input[type=radio]:checked");
        weights += weight;
        if (chosen) { points += weight * parseInt(chosen.value, 10); done += 1; }
      });
      scored.textContent = String(done);
      out.textContent = done && weights ? format.format(Math.round(points * 1000 / weights) / 100) : "–";
    }

    form.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
