"""Alliance performance regressed on the governance form and controls (OLS, robust SEs): the
performance stage (rule ``performance``), which also hands the misalignment stage its analysis
frame with the derived outcomes."""
