# R oracle for evidence/stats: fits every dataset of one long CSV with
# metafor (and clubSandwich for model "che") and writes one row per dataset.
#
#   Rscript evidence/oracle/metafor.R in.csv out.csv
#
# in.csv columns: dataset, model (rma | che | regtest | agg), method, test, rho,
#                 yi, vi, study, subgroup (empty = none), tau2_fixed, omega2_fixed
#                 (che only; empty = estimated)
# out.csv: dataset, error (empty when the fit worked) and the fields below,
#          numbers with 17 significant digits, NA where a field does not apply.
# Only base R + metafor + clubSandwich; an error in one dataset is reported
# in its row and does not stop the others. source() it to reuse the fit_*
# functions (tests/stats/reference/make_reference.R does).
suppressPackageStartupMessages({
  library(metafor)
  library(clubSandwich)
})

FIELDS <- c("estimate", "se", "stat", "ci_lb", "ci_ub", "pval", "df", "tau2", "omega2",
            "pi_lb", "pi_ub", "k", "k_effects", "se_tau2", "I2", "H2", "QE", "QEp",
            "se_model", "ll", "slope", "slope_se")

num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(x[1])

fit_rma <- function(d) {
  fit <- rma(d$yi, d$vi, method = d$method[1], test = d$test[1])
  pr <- predict(fit)
  list(estimate = num(fit$b), se = num(fit$se), stat = num(fit$zval),
       ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub), pval = num(fit$pval),
       df = if (fit$test == "z") NA_real_ else num(fit$ddf),
       tau2 = num(fit$tau2), k = fit$k, k_effects = fit$k, se_tau2 = num(fit$se.tau2),
       I2 = num(fit$I2), H2 = num(fit$H2), QE = num(fit$QE), QEp = num(fit$QEp),
       pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub), ll = num(logLik(fit)))
}

# sparse=TRUE only changes how metafor stores the matrices (same model; on
# dietrichson2021, 1,334 effects, sigma2 moved by 2e-10 relative) but turns a
# dense fit of minutes into seconds, so it is used from SPARSE_FROM effects on.
SPARSE_FROM <- 500

fit_che <- function(d, sparse = nrow(d) >= SPARSE_FROM) {
  d$es <- seq_len(nrow(d))
  if (all(is.na(d$subgroup))) {
    V <- vcalc(vi, cluster = study, obs = es, rho = d$rho[1], data = d)
  } else {
    V <- vcalc(vi, cluster = study, subgroup = subgroup, obs = es, rho = d$rho[1], data = d)
  }
  # tau2_fixed/omega2_fixed given: the same model with the variance components held at those values
  # (to evaluate another optimum, e.g. one on the boundary that nlminb on log(sigma2) cannot reach)
  fixed <- if (is.null(d$tau2_fixed) || is.na(d$tau2_fixed[1])) c(NA, NA) else c(d$tau2_fixed[1], d$omega2_fixed[1])
  fit <- rma.mv(yi, V, random = ~ 1 | study/es, method = d$method[1], data = d, sparse = sparse,
                sigma2 = fixed)
  rob <- robust(fit, cluster = d$study, clubSandwich = TRUE)
  pr <- predict(rob)
  # Multilevel I2 (metafor FAQ, "I^2 for multilevel and multivariate models")
  W <- solve(V)
  X <- model.matrix(fit)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  i2 <- 100 * sum(fit$sigma2) / (sum(fit$sigma2) + (fit$k - fit$p) / sum(diag(P)))
  list(estimate = num(rob$b), se = num(rob$se), stat = num(rob$zval),
       ci_lb = num(rob$ci.lb), ci_ub = num(rob$ci.ub), pval = num(rob$pval),
       df = num(rob$ddf), tau2 = num(fit$sigma2[1]), omega2 = num(fit$sigma2[2]),
       pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub), k = length(unique(d$study)),
       k_effects = fit$k, QE = num(fit$QE), QEp = num(fit$QEp), se_model = num(fit$se),
       ll = num(logLik(fit)), I2 = num(i2))
}

# One study with several effect sizes: aggregated to one (aggregate.escalc with rho), then rma.
fit_agg <- function(d) {
  d$es <- seq_len(nrow(d))
  dat <- escalc(measure = "GEN", yi = yi, vi = vi, data = d)
  if (all(is.na(d$subgroup))) {
    agg <- aggregate(dat, cluster = study, rho = d$rho[1])
  } else {
    V <- vcalc(vi, cluster = study, subgroup = subgroup, obs = es, rho = d$rho[1], data = d)
    agg <- aggregate(dat, cluster = study, V = V)
  }
  res <- fit_rma(data.frame(yi = as.numeric(agg$yi), vi = as.numeric(agg$vi),
                            method = d$method[1], test = d$test[1]))
  res$k_effects <- nrow(d)
  res
}

fit_regtest <- function(d) {
  fit <- rma(d$yi, d$vi, method = d$method[1], test = d$test[1])
  rt <- regtest(fit)
  mods <- rt$fit
  list(estimate = num(rt$est), ci_lb = num(rt$ci.lb), ci_ub = num(rt$ci.ub),
       stat = num(rt$zval), pval = num(rt$pval),
       df = if (fit$test == "z") NA_real_ else num(rt$dfs),
       tau2 = num(mods$tau2), se_tau2 = num(mods$se.tau2), k = mods$k, k_effects = mods$k,
       se = num(mods$se[1]), slope = num(mods$b[2]), slope_se = num(mods$se[2]),
       QE = num(mods$QE), QEp = num(mods$QEp), ll = num(logLik(mods)))
}

fit_dataset <- function(d) {
  switch(d$model[1], rma = fit_rma(d), che = fit_che(d), regtest = fit_regtest(d), agg = fit_agg(d),
         stop(paste0("unknown model '", d$model[1], "'")))
}

main <- function(args) {
  if (length(args) != 2) stop("usage: Rscript metafor.R in.csv out.csv")
  d_all <- read.csv(args[1], colClasses = c(dataset = "character", model = "character",
                    method = "character", test = "character", rho = "numeric", yi = "numeric",
                    vi = "numeric", study = "character", subgroup = "character",
                    tau2_fixed = "numeric", omega2_fixed = "numeric"),
                    na.strings = c("", "NA"))
  out <- list()
  for (name in unique(d_all$dataset)) {
    d <- d_all[d_all$dataset == name, , drop = FALSE]
    res <- tryCatch(withCallingHandlers(fit_dataset(d),
                                        warning = function(w) invokeRestart("muffleWarning")),
                    error = function(e) conditionMessage(e))
    row <- setNames(rep("NA", length(FIELDS)), FIELDS)
    if (is.character(res)) {
      err <- gsub("[\r\n]+", " ", res)
    } else {
      err <- ""
      for (f in intersect(names(res), FIELDS)) row[[f]] <- format(res[[f]], digits = 17)
    }
    out[[length(out) + 1]] <- c(dataset = name, error = err, row)
  }
  table <- as.data.frame(do.call(rbind, out), stringsAsFactors = FALSE)
  write.csv(table, args[2], row.names = FALSE, na = "NA")
}

# run as a script (Rscript metafor.R in out); sourcing only defines the functions
if (sys.nframe() == 0L) main(commandArgs(trailingOnly = TRUE))
