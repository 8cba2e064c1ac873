# Reference numbers for tests/stats/test_cfa.py that lavaan's published tutorial does not print.
# Run with Debian bookworm's R 4.2.2, r-cran-lavaan 0.6.14-1 and r-cran-semtools 0.5.6-1:
#   Rscript tests/stats/data/lavaan_reference.R
# Each block prints the numbers that the test marked [local R] copies, to 6 decimals (unclass() and
# as.data.frame() bypass lavaan's and semTools' print methods, which round to 3).
library(lavaan)
library(semTools)
options(width = 200)
show <- function(x) print(round(x, 6))
hs <- HolzingerSwineford1939
model <- ' visual  =~ x1 + x2 + x3
           textual =~ x4 + x5 + x6
           speed   =~ x7 + x8 + x9 '

# single group: RMSEA and SRMR to 6 decimals, completely standardised solution, reliability, AVE, HTMT
fit <- cfa(model, data = hs)
show(unclass(fitMeasures(fit, c("rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr"))))
pe <- parameterEstimates(fit, standardized = TRUE)
print(data.frame(pe[, c("lhs", "op", "rhs")], std.all = round(pe$std.all, 6)))
show(unclass(compRelSEM(fit)))                   # obs.var = TRUE: observed variance of the sum score
show(unclass(compRelSEM(fit, obs.var = FALSE)))  # model-implied variance of the sum score
show(unclass(AVE(fit)))
items <- hs[, paste0("x", 1:9)]
show(unclass(htmt(model, items, htmt2 = TRUE)))
show(unclass(htmt(model, items, htmt2 = FALSE)))

# multigroup SRMR and RMSEA interval of the invariance models, and strict invariance
for (equal in list("", "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))) {
  mg <- cfa(model, data = hs, group = "school", group.equal = equal)
  show(unclass(fitMeasures(mg, c("npar", "chisq", "df", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr"))))
}

# unmeasured latent method factor with equal loadings, orthogonal to the traits
ulmc <- ' visual  =~ x1 + x2 + x3
          textual =~ x4 + x5 + x6
          speed   =~ x7 + x8 + x9
          method  =~ a*x1 + a*x2 + a*x3 + a*x4 + a*x5 + a*x6 + a*x7 + a*x8 + a*x9
          method ~~ 0*visual + 0*textual + 0*speed '
fit_ulmc <- cfa(ulmc, data = hs, std.lv = TRUE)
show(unclass(fitMeasures(fit_ulmc, c("npar", "chisq", "df"))))
pe <- as.data.frame(parameterEstimates(fit_ulmc, standardized = TRUE))
loading <- pe$lhs == "method" & pe$op == "=~"
print(data.frame(rhs = pe$rhs[loading], round(pe[loading, c("est", "se", "std.all")], 6)))
