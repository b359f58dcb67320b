# Regenerates dependent.metafor.json, the R reference values of the tests of
# evidence/stats/{dependent,multilevel,robust,che,metareg,regtest}.py.
#
#   cd tests/stats/reference && Rscript make_reference.R
#
# Needs R with metafor 3.8-1 and clubSandwich 0.5.8 (Debian r-cran-metafor,
# r-cran-clubsandwich). The fits are the ones of evidence/oracle/metafor.R
# (sourced), on the CSV files of this folder (sources in README.md).
suppressPackageStartupMessages({
  library(metafor)
  library(clubSandwich)
})
source("../../../evidence/oracle/metafor.R")

num17 <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
json_value <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    return(paste0("{", paste0('"', keys, '": ', vapply(x, json_value, ""), collapse = ", "), "}"))
  }
  if (is.character(x)) {
    quoted <- paste0('"', x, '"')
    return(if (length(x) == 1 && is.null(attr(x, "vector"))) quoted else paste0("[", paste(quoted, collapse = ", "), "]"))
  }
  if (length(x) == 1 && is.null(attr(x, "vector"))) return(num17(x))
  paste0("[", paste(num17(x), collapse = ", "), "]")
}
vec <- function(x) structure(as.numeric(x), vector = TRUE)

read_data <- function(file, study, yi, vi = NULL, sei = NULL) {
  raw <- read.csv(file, colClasses = "character")
  d <- data.frame(study = raw[[study]], yi = as.numeric(raw[[yi]]), stringsAsFactors = FALSE)
  d$vi <- if (is.null(sei)) as.numeric(raw[[vi]]) else as.numeric(raw[[sei]])^2
  d$subgroup <- NA_character_
  d
}

DATA <- list(
  konstantopoulos2011 = read_data("konstantopoulos2011.csv", "district", "yi", "vi"),
  dalgaard2025_reintegration = read_data("dalgaard2025_reintegration.csv", "study", "gt_pop", "vgt_pop"),
  dalgaard2025_mental_health = read_data("dalgaard2025_mental_health.csv", "study", "gt_pop", "vgt_pop"),
  dietrichson2021 = read_data("dietrichson2021.csv", "Study_ID", "Effectsize_g", sei = "SE_g")
)

che_case <- function(name, rho, method) {
  d <- DATA[[name]]
  d$rho <- rho; d$method <- method; d$model <- "che"; d$test <- "z"
  res <- fit_che(d)
  # the same fit again, for the weights and a tightly converged optimum
  d$es <- seq_len(nrow(d))
  V <- vcalc(vi, cluster = study, obs = es, rho = rho, data = d)
  sparse <- nrow(d) >= SPARSE_FROM
  fit <- rma.mv(yi, V, random = ~ 1 | study/es, method = method, data = d, sparse = sparse)
  w <- rowSums(as.matrix(chol2inv(chol(as.matrix(fit$M)))))
  # the optimum from a second optimiser (minqa's uobyqa, as metafor offers it;
  # BFGS of base R's optim where minqa is missing): nlminb cannot be asked for
  # more (a tighter rel.tol ends in "false convergence")
  refit <- function(ctrl) tryCatch(rma.mv(yi, V, random = ~ 1 | study/es, method = method, data = d,
                                          sparse = sparse, control = ctrl), error = function(e) NULL)
  tight <- refit(list(optimizer = "uobyqa"))
  if (is.null(tight)) tight <- refit(list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000))
  res$weights <- vec(100 * w / sum(w))
  res$tau2_tight <- if (is.null(tight)) NA_real_ else tight$sigma2[1]
  res$omega2_tight <- if (is.null(tight)) NA_real_ else tight$sigma2[2]
  res$ll_tight <- if (is.null(tight)) NA_real_ else as.numeric(logLik(tight))
  c(list(dataset = name, model = "che", method = method, rho = rho), res)
}

uni_case <- function(name, model, method, test) {
  d <- DATA[[name]]
  d$method <- method; d$test <- test
  res <- if (model == "rma") fit_rma(d) else fit_regtest(d)
  c(list(dataset = name, model = model, method = method, test = test), res)
}

aggregate_case <- function(name, rho) {
  d <- DATA[[name]]
  agg <- aggregate(escalc(yi = yi, vi = vi, data = d), cluster = d$study, rho = rho)
  list(dataset = name, rho = rho, cluster = structure(as.character(agg$study), vector = TRUE),
       yi = vec(agg$yi), vi = vec(agg$vi))
}

message("fitting ...")
cases <- list()
for (rho in c(0.5, 0.8, 0.95)) for (method in c("REML", "ML"))
  cases[[length(cases) + 1]] <- che_case("konstantopoulos2011", rho, method)
for (name in c("dalgaard2025_reintegration", "dalgaard2025_mental_health", "dietrichson2021")) {
  for (method in c("REML", "ML")) cases[[length(cases) + 1]] <- che_case(name, 0.8, method)
  cases[[length(cases) + 1]] <- che_case(name, 0.5, "REML")
}
for (name in names(DATA)) for (model in c("rma", "regtest"))
  for (mt in list(c("REML", "z"), c("REML", "knha"), c("ML", "z"), c("DL", "z")))
    cases[[length(cases) + 1]] <- uni_case(name, model, mt[1], mt[2])
aggs <- list()
for (name in names(DATA)) for (rho in c(0.5, 0.8))
  aggs[[length(aggs) + 1]] <- aggregate_case(name, rho)

k <- DATA$konstantopoulos2011
k$es <- seq_len(nrow(k))
V <- vcalc(vi, cluster = study, obs = es, rho = 0.8, data = k)

lines <- c("{",
  paste0('"generated_by": "', R.version.string, ", metafor ", packageVersion("metafor"),
         ", clubSandwich ", packageVersion("clubSandwich"), '",'),
  '"fits": [', paste(vapply(cases, json_value, ""), collapse = ",\n"), "],",
  '"aggregate": [', paste(vapply(aggs, json_value, ""), collapse = ",\n"), "],",
  paste0('"vcalc_konstantopoulos2011_rho08": ', json_value(list(rows = vec(V))), "}"))
writeLines(lines, "dependent.metafor.json")
