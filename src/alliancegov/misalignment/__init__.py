"""Misalignment of the governance form with the transaction (Masten 1993; Sampson 2004) and what the
form does to performance: the misalignment measures from the choice model (the continuous misfit,
primary; the 0/1 modal mismatch and its direction, secondary) in pooled performance models;
switching regressions, one performance equation per form with that form's selection terms (Lee 1983;
Dubin & McFadden 1984; Bourguignon, Fournier & Gurgand 2007), identified by exclusion restrictions;
every firm's counterfactual performance under every form and the performance forgone against the
best one (Masten, Meehan & Snyder 1991; Leiblein, Reuer & Dalsace 2002; Hamilton & Nickerson 2003);
and the forms' effects under selection on observables (IPW and AIPW, Cattaneo 2010). Intervals of the
two-stage estimates come from a bootstrap that refits both stages on resampled firms, scattered over
jobs (rules ``misalignment_bootstrap_part`` and ``misalignment``).

References
----------
.. [1] Masten, S. E. (1993). Transaction costs, mistakes, and performance: assessing the
   importance of governance. Managerial and Decision Economics, 14(2), 119–129.
.. [2] Sampson, R. C. (2004). The cost of misaligned governance in R&D alliances. Journal of
   Law, Economics, and Organization, 20(2), 484–526.
.. [3] Lee, L.-F. (1983). Generalized econometric models with selectivity. Econometrica, 51(2),
   507–512.
.. [4] Dubin, J. A., & McFadden, D. L. (1984). An econometric analysis of residential electric
   appliance holdings and consumption. Econometrica, 52(2), 345–362.
.. [5] Bourguignon, F., Fournier, M., & Gurgand, M. (2007). Selection bias corrections based on
   the multinomial logit: an evaluation. Journal of Economic Surveys, 21(1), 174–205.
.. [6] Masten, S. E., Meehan, J. W., & Snyder, E. A. (1991). The costs of organization. Journal of
   Law, Economics, and Organization, 7(1), 1–25.
.. [7] Leiblein, M. J., Reuer, J. J., & Dalsace, F. (2002). Do make or buy decisions matter? The
   influence of organizational governance on technological performance. Strategic Management
   Journal, 23(9), 817–833.
.. [8] Hamilton, B. H., & Nickerson, J. A. (2003). Correcting for endogeneity in strategic
   management research. Strategic Organization, 1(1), 51–78.
.. [9] Cattaneo, M. D. (2010). Efficient semiparametric estimation of multi-valued treatment
   effects under ignorability. Journal of Econometrics, 155(2), 138–154."""
