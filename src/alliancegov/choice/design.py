"""The choice model's data: the rows used, the design matrix with readable names, the coded outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from alliancegov.choice.spec import ChoiceSpec
from alliancegov.stats.tidy import readable_term


@dataclass
class ChoiceDesign:
    """The rows used, the design matrix with readable column names, and the coded outcome."""

    data: pd.DataFrame            # rows used (listwise complete), original columns
    X: pd.DataFrame               # (n, k) design, columns named as in the tables (``sector[textile]``)
    y: np.ndarray                 # (n,) outcome codes, 0 = base
    levels: list[str]             # outcome names, base first
    weights: np.ndarray | None    # (n,) frequency weights
    groups: np.ndarray | None     # (n,) cluster codes
    design_info: object           # patsy DesignInfo, to rebuild X for counterfactual profiles
    terms: dict[str, list[str]]   # model term → its design columns (all dummies of a factor)
    continuous: list[int]         # column indices of numeric regressors
    discrete: dict[str, tuple[None, list[int]]] = field(default_factory=dict)  # factor → dummy columns
    n_missing: int = 0            # rows left out for a missing outcome, regressor, cluster or weight
    survey: object | None = None  # stats.survey.design.SurveyDesign when cov_type is "design"
    model: str = "the choice model"  # its name in messages (alliancegov.model_checks)

    @property
    def averaging_weights(self) -> np.ndarray | None:
        """Weights of averages over firms (AMEs, predictions): frequency or sampling weights."""
        return self.weights if self.survey is None else self.survey.weights

    def units(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The design matrix, outcome codes and cluster codes with each row repeated as many times as
        its frequency weight: the firms the rows stand for, for the refits (likelihood-ratio and IIA
        tests, cross-validation) that need one row a firm. Without frequency weights, the rows as
        they are.

        Returns
        -------
        X : ndarray of shape (N, k)
        y : ndarray of shape (N,)
        groups : ndarray of shape (N,) or None
        """
        X = self.X.to_numpy()
        if self.weights is None:
            return X, self.y, self.groups
        rows = np.repeat(np.arange(len(self.y)), self.weights.astype(np.int64))
        return X[rows], self.y[rows], None if self.groups is None else self.groups[rows]


def outcome_levels(data: pd.Series, base: str, categories: list[str]) -> list[str]:
    """Observed categories with ``base`` first, the others in ``categories`` order.

    Parameters
    ----------
    data : Series
        The outcome column (missing values are ignored).
    base : str or None
        The base category; None takes the first of ``categories`` that occurs.
    categories : list of str
        Every category of the outcome, in the codebook's order.

    Returns
    -------
    list of str
        The categories that occur in ``data``, ``base`` first.

    Raises
    ------
    ValueError
        If ``data`` holds a value not in ``categories``, or ``base`` does not occur.
    """
    observed = set(data.dropna())
    unknown = observed - set(categories)
    if unknown:
        raise ValueError(f"outcome values not in the codebook: {sorted(unknown)}")
    if base is None:   # no multinomial logit: the order's first category that occurs codes 0
        base = next(c for c in categories if c in observed)
    if base not in observed:
        raise ValueError(f"base category {base!r} does not occur in the data")
    return [base] + [c for c in categories if c in observed and c != base]


def _factor_name(code: str) -> str:
    match = re.match(r"C\((\w+)", code)
    return match.group(1) if match else code


def build_design(data: pd.DataFrame, spec: ChoiceSpec, categories: list[str], *, model: str = "the choice model",
                 wave: str = "wave") -> ChoiceDesign:
    """Listwise-complete rows, the patsy design and the coded outcome (base = 0), once the rows are
    known to identify the model.

    Parameters
    ----------
    data : DataFrame
        The analysis frame.
    spec : ChoiceSpec
        What to fit: outcome, base, formula, and the weight, cluster and survey-design columns.
    categories : list of str
        The outcome's categories in the codebook's order.
    model : str, default="the choice model"
        The model's name in messages, e.g. ``the choice model of wave w2025``.
    wave : str, default="wave"
        The column of survey waves, if ``data`` has it: a wave whose firms all lack a variable of
        the model is an error, not a silent loss.

    Returns
    -------
    ChoiceDesign
        The rows complete on the outcome, the formula's variables and the weight, cluster (when
        ``cov_type`` is ``cluster``) and survey-design columns; their design matrix, outcome codes,
        weights, cluster codes and survey design, how many rows were left out, and ``model``.

    Raises
    ------
    ModelSpecificationError
        A ``ValueError`` whose message names the variable (and the wave) when the rows cannot
        identify the model: a variable missing for every firm (of a wave), one outcome only, a
        regressor with a single value, no more firms than parameters or an outcome chosen by
        fewer firms than an equation's parameters, or collinear design columns
        (:mod:`alliancegov.model_checks`).
    ValueError
        If the outcome holds a value not in ``categories`` or the base does not occur.
    """
    from alliancegov.expressions import design_matrix, formula_variables
    from alliancegov.model_checks import check_outcome, check_parameters, check_rank, check_varying, complete_rows

    needed = [c for c in (spec.outcome, spec.weights, spec.cluster if spec.cov_type == "cluster" else None) if c]
    needed += spec.design_columns
    regressors = formula_variables(spec.formula, data.columns, source="choice.formula")
    usable = complete_rows(data, [*needed, *regressors], model, wave=wave)
    check_outcome(usable[spec.outcome], spec.outcome, model)
    check_varying(usable, regressors, model)
    matrix = design_matrix(spec.formula, usable, source="choice.formula", NA_action="drop")
    info = matrix.design_info
    rows = usable.loc[matrix.index]
    names = [readable_term(c) for c in matrix.columns]
    X = pd.DataFrame(matrix.to_numpy(float), columns=names)
    terms, continuous, discrete = {}, [], {}
    for term in info.terms:
        columns = list(range(*info.slice(term).indices(len(names))))
        if not columns:
            continue
        categorical = [f for f in term.factors if info.factor_infos[f].type == "categorical"]
        label = ":".join(_factor_name(f.code) for f in term.factors) or "Intercept"
        terms[label] = [names[c] for c in columns]
        if label == "Intercept":
            continue
        if categorical and len(term.factors) == 1:
            discrete[label] = (None, columns)
        elif not categorical:
            continuous.extend(columns)
    levels = outcome_levels(rows[spec.outcome], spec.base, categories)
    codes = pd.Categorical(rows[spec.outcome], categories=levels).codes.astype(int)
    weights = rows[spec.weights].to_numpy(float) if spec.weights else None
    if weights is not None and np.any(weights != np.round(weights)):
        raise ValueError(f"choice.weights: {spec.weights} holds frequency weights that are not whole numbers (a row "
                         "stands for that many observations); give sampling weights as choice.sampling_weights with "
                         "cov_type: design")
    counts = np.bincount(codes, weights=weights, minlength=len(levels))
    check_parameters(counts.sum(), names, model, outcome=spec.outcome, counts=dict(zip(levels, counts.tolist())))
    check_rank(X, model)
    survey = None
    if spec.cov_type == "design":
        from alliancegov.stats.survey.design import SurveyDesign

        def column(name: str | None, dtype=None) -> np.ndarray | None:
            return rows[name].to_numpy(dtype) if name else None

        survey = SurveyDesign(weights=column(spec.sampling_weights, float), strata=column(spec.strata),
                              psu=column(spec.psu), fpc=column(spec.fpc, float), lonely_psu=spec.lonely_psu)
    return ChoiceDesign(
        data=rows.reset_index(drop=True), X=X, y=codes, levels=levels, weights=weights,
        groups=pd.factorize(rows[spec.cluster])[0] if spec.cov_type == "cluster" else None,
        design_info=info, terms=terms, continuous=continuous, discrete=discrete,
        n_missing=int(len(data) - len(rows)), survey=survey, model=model,
    )


def scenario_matrix(design: ChoiceDesign, values: dict) -> np.ndarray:
    """``design.X`` (n, k) as it would be with ``values`` set for every firm.

    Parameters
    ----------
    design : ChoiceDesign
        The fitted design; its ``design_info`` rebuilds the terms.
    values : dict
        Variable → the value every firm is given.

    Returns
    -------
    ndarray of shape (n, k)
        The counterfactual design matrix, columns as ``design.X``.

    Notes
    -----
    Terms that use none of the variables are copied; terms that use only them are the same for
    every firm, built on one row and broadcast; only terms mixing them with other variables are
    rebuilt over the firms. patsy walks text factors value by value, so rebuilding the whole
    design for each of the 54 scenarios took most of the choice stage at 10^5 firms.
    """
    import patsy

    from alliancegov.expressions import formula_variables

    X = design.X.to_numpy(dtype=float, copy=True)
    info = design.design_info
    everyone = None
    for term, columns in info.term_slices.items():
        used = {v for factor in term.factors for v in formula_variables(factor.code, design.data.columns)}
        if not used & values.keys():
            continue
        if used <= values.keys():
            rows = design.data.iloc[:1].assign(**values)
        else:
            everyone = design.data.assign(**values) if everyone is None else everyone
            rows = everyone
        (part,) = patsy.build_design_matrices([info.subset([term])], rows)
        X[:, columns] = np.asarray(part)
    return X


@dataclass(frozen=True)
class DesignBuilder:
    """The choice model's design for any frame (the first stage of the performance models);
    picklable, so bootstrap workers can rebuild it on resampled firms.

    Calling it builds the design with model-based covariance and no frequency weights.

    Attributes
    ----------
    spec : ChoiceSpec
        What the choice model fits.
    categories : tuple of str
        The outcome's categories in the codebook's order.
    model : str
        The model's name in messages.
    """

    spec: ChoiceSpec
    categories: tuple[str, ...]
    model: str = "the choice model"

    def __call__(self, frame: pd.DataFrame) -> ChoiceDesign:
        return build_design(frame, replace(self.spec, cov_type="model", weights=None), list(self.categories),
                            model=self.model)
