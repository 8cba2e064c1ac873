"""Misalignment of the governance form with the transaction (Masten 1993; Sampson 2004) and its
effect on performance, with multinomial selection corrections and a bootstrap of both stages.

The first stage is the choice model: a firm is misaligned when its chosen form is not the one of
highest predicted probability; the continuous misfit is 1 − the predicted probability of its
form. The second stage regresses performance on the misalignment measures and controls, without
and with Lee's and Dubin–McFadden's selection terms. Standard errors come from a bootstrap that
refits both stages on resampled firms, scattered over jobs (rules ``misalignment_bootstrap_part``
and ``misalignment``).

References
----------
.. [1] Masten, S. E. (1993). Transaction costs, mistakes, and performance: assessing the
   importance of governance. Managerial and Decision Economics, 14(2), 119–129.
.. [2] Sampson, R. C. (2004). The cost of misaligned governance in R&D alliances. Journal of
   Law, Economics, and Organization, 20(2), 484–526.
.. [3] Lee, L.-F. (1983). Generalized econometric models with selectivity. Econometrica, 51(2),
   507–512.
.. [4] Dubin, J. A., & McFadden, D. L. (1984). An econometric analysis of residential electric
   appliance holdings and consumption. Econometrica, 52(2), 345–362."""
