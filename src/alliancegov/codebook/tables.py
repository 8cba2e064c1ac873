"""The codebook's three tables, read from their files, checked, and looked up by the stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from alliancegov.codebook.consistency import check_consistency
from alliancegov.codebook.vocabulary import CODEBOOK_FILES, CodebookError


@dataclass(frozen=True)
class Codebook:
    """The three codebook tables, checked for consistency on construction.

    Attributes
    ----------
    variables : DataFrame
        ``variables.csv``, one row per variable, indexed by ``name`` (the column kept);
        ``reverse`` is bool and ``relevant`` is "" where the question applies to everyone (as
        :meth:`from_files` reads it).
    value_sets : DataFrame
        ``value_sets.csv``: ``list_name, code, name, label_fr, label_en``, ``code`` int64.
    scales : DataFrame
        ``scales.csv``, one row per scale, indexed by ``scale`` (the column kept); ``min_items``
        int64.

    Raises
    ------
    CodebookError
        If the tables contradict themselves: duplicated variable names, an unknown type or role,
        a ``list_name`` or ``missing_list`` that is not in ``value_sets.csv``, a select_one,
        select_multiple or likert variable without ``list_name``, a value set repeating a code or
        a name, a missing-value name not among
        :data:`~alliancegov.codebook.vocabulary.MISSING_KINDS`, scales of ``scales.csv`` and
        ``variables.csv`` that differ, or a ``min``/``max`` that is neither a number nor
        ``survey_year``.
    """

    variables: pd.DataFrame
    value_sets: pd.DataFrame
    scales: pd.DataFrame

    def __post_init__(self) -> None:
        check_consistency(self)

    @classmethod
    def from_dir(cls, folder: str | Path) -> Codebook:
        """The codebook of ``folder``, which holds its three files.

        Parameters
        ----------
        folder : str or Path
            The codebook folder, holding :data:`~alliancegov.codebook.vocabulary.CODEBOOK_FILES`.

        Returns
        -------
        Codebook
            The codebook read by :meth:`from_files`.
        """
        return cls.from_files([Path(folder) / name for name in CODEBOOK_FILES])

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> Codebook:
        """The codebook from its three files, as a workflow rule declares them among its inputs.

        Parameters
        ----------
        paths : sequence of str or Path
            The files ``variables.csv``, ``value_sets.csv`` and ``scales.csv``, in any order.

        Returns
        -------
        Codebook
            The tables read as text (no value read as missing), then ``reverse`` as bool ("1"
            is True), ``code`` and ``min_items`` as int64 and an empty ``relevant`` column added
            when ``variables.csv`` has none.

        Raises
        ------
        CodebookError
            If a file is missing from ``paths`` or named twice, or if the tables contradict
            themselves (see :class:`Codebook`).
        """
        by_name = {Path(path).name: Path(path) for path in paths}
        if sorted(by_name) != sorted(CODEBOOK_FILES) or len(paths) != len(CODEBOOK_FILES):
            raise CodebookError(f"a codebook is the files {', '.join(CODEBOOK_FILES)}; given {[str(p) for p in paths]}")
        read = lambda name: pd.read_csv(by_name[name], dtype=str, keep_default_na=False)  # noqa: E731
        variables = read("variables.csv")
        value_sets = read("value_sets.csv")
        scales = read("scales.csv")
        variables["reverse"] = variables["reverse"].eq("1")
        if "relevant" not in variables:  # optional column: every question applies to everyone
            variables["relevant"] = ""
        value_sets["code"] = pd.to_numeric(value_sets["code"]).astype("int64")
        scales["min_items"] = pd.to_numeric(scales["min_items"]).astype("int64")
        return cls(variables.set_index("name", drop=False), value_sets, scales.set_index("scale", drop=False))

    # ---- lookups -------------------------------------------------------------
    @cached_property
    def missing_lists(self) -> set[str]:
        """The value sets that hold missing-value codes.

        Returns
        -------
        set of str
            Every non-empty ``missing_list`` of ``variables.csv``.
        """
        return set(self.variables["missing_list"]) - {""}

    def of_role(self, *roles: str) -> list[str]:
        """Variable names with one of ``roles``, in codebook order.

        Parameters
        ----------
        *roles : str
            Roles among :data:`~alliancegov.codebook.vocabulary.ROLES` (``item``, ``performance``...).

        Returns
        -------
        list of str
            The names, in codebook order.
        """
        return self.variables.loc[self.variables["role"].isin(roles), "name"].tolist()

    def of_type(self, *types: str) -> list[str]:
        """Variable names with one of ``types``, in codebook order.

        Parameters
        ----------
        *types : str
            Types among :data:`~alliancegov.codebook.vocabulary.VARIABLE_TYPES` (``likert``, ``select_one``...).

        Returns
        -------
        list of str
            The names, in codebook order.
        """
        return self.variables.loc[self.variables["type"].isin(types), "name"].tolist()

    def choices(self, list_name: str) -> pd.DataFrame:
        """The rows of one value set, in code order.

        Parameters
        ----------
        list_name : str
            The value set's ``list_name``.

        Returns
        -------
        DataFrame
            Its rows of ``value_sets.csv`` (``list_name, code, name, label_fr, label_en``) sorted
            by ``code``, index reset to 0, 1, ...

        Raises
        ------
        CodebookError
            If no value set has that name.
        """
        rows = self.value_sets[self.value_sets["list_name"] == list_name]
        if rows.empty:
            raise CodebookError(f"no value set named {list_name!r}")
        return rows.sort_values("code").reset_index(drop=True)

    def answer_names(self, variable: str) -> list[str]:
        """Canonical answer names of a select_one or select_multiple variable, in code order.

        Parameters
        ----------
        variable : str
            A variable with a ``list_name``.

        Returns
        -------
        list of str
            The ``name`` of each answer of its value set, in code order.

        Raises
        ------
        CodebookError
            If the variable has no value set (empty ``list_name``).
        """
        return self.choices(self.variables.at[variable, "list_name"])["name"].tolist()

    def missing_codes(self, variable: str) -> dict[int, str]:
        """Missing-value code → kind (dont_know, refused, not_applicable) for one variable.

        Parameters
        ----------
        variable : str
            A variable of the codebook.

        Returns
        -------
        dict of int to str
            Each code of its ``missing_list`` → its name (a kind of
            :data:`~alliancegov.codebook.vocabulary.MISSING_KINDS`); empty when the variable has no
            ``missing_list``.
        """
        list_name = self.variables.at[variable, "missing_list"]
        if not list_name:
            return {}
        rows = self.choices(list_name)
        return dict(zip(rows["code"], rows["name"]))

    def bounds(self, variable: str, survey_year: int) -> tuple[float | None, float | None]:
        """Valid (min, max) of a numeric variable in a wave of ``survey_year``; None if open.

        Parameters
        ----------
        variable : str
            A variable of the codebook.
        survey_year : int
            The year of the wave, the value of a bound written ``survey_year``.

        Returns
        -------
        tuple of (float or None, float or None)
            The lower and upper bounds, in the variable's units; None where the codebook leaves
            the bound empty.
        """
        def resolve(text: str) -> float | None:
            if text == "":
                return None
            return float(survey_year) if text == "survey_year" else float(text)

        return resolve(self.variables.at[variable, "min"]), resolve(self.variables.at[variable, "max"])

    def items(self, scale: str) -> pd.DataFrame:
        """Item rows of one scale (name, reverse, min, max, labels).

        Parameters
        ----------
        scale : str
            A scale of ``scales.csv``.

        Returns
        -------
        DataFrame
            The rows of :attr:`variables` whose ``scale`` is ``scale``, in codebook order, with
            all its columns; empty for an unknown scale.
        """
        return self.variables[self.variables["scale"] == scale]

    def label(self, name: str, language: str = "en") -> str:
        """Label of a variable or scale in ``language`` ('fr' or 'en').

        An answer's label is :meth:`answer_label`'s.

        Parameters
        ----------
        name : str
            A variable or scale name.
        language : {"en", "fr"}
            The label column read (``label_en`` or ``label_fr``).

        Returns
        -------
        str
            The label (a variable's if a variable and a scale share the name).

        Raises
        ------
        KeyError
            If ``name`` is neither a variable nor a scale.
        """
        column = f"label_{language}"
        if name in self.variables.index:
            return self.variables.at[name, column]
        if name in self.scales.index:
            return self.scales.at[name, column]
        raise KeyError(name)

    def answer_label(self, variable: str, answer: str, language: str = "en") -> str:
        """Label of one answer of a variable in ``language`` ('fr' or 'en').

        Parameters
        ----------
        variable : str
            A variable with a ``list_name``.
        answer : str
            A canonical answer name (compared as text).
        language : {"en", "fr"}
            The label column read (``label_en`` or ``label_fr``).

        Returns
        -------
        str
            The answer's label, or ``answer`` itself (as text) when it is not in the value set.
        """
        rows = self.choices(self.variables.at[variable, "list_name"])
        match = rows.loc[rows["name"] == str(answer), f"label_{language}"]
        return match.iloc[0] if len(match) else str(answer)

    def label_or_name(self, name: str, language: str = "en") -> str:
        """Label of a variable or scale, or ``name`` itself for a derived column.

        Parameters
        ----------
        name : str
            A variable, scale or derived column name.
        language : {"en", "fr"}
            The label column read.

        Returns
        -------
        str
            :meth:`label`, or ``name`` when it is neither a variable nor a scale.
        """
        try:
            return self.label(name, language)
        except KeyError:
            return name

    def term_label(self, term: str, language: str = "en") -> str:
        """Readable label of a model term.

        A categorical term ``sector[textile]`` (the tidy tables' spelling) becomes "Sector:
        Textile and apparel" ("Secteur : Textile-habillement" in French); a variable or scale
        name becomes its label; an interaction ``governance_form[licensing]:sector[textile]``
        joins its factors with " × ", a categorical factor by its answer's label alone
        ("Licensing × Textile and apparel"); anything else (a derived column) stays as written.

        Parameters
        ----------
        term : str
            A term of a tidy coefficient table.
        language : {"en", "fr"}
            The language of the labels (French puts a space before the colon).

        Returns
        -------
        str
            The readable label.
        """
        factors = term.split(":")
        if len(factors) > 1 and all(factor and not any(c.isspace() for c in factor) for factor in factors):
            return " × ".join(self._factor_label(factor, language, alone=False) for factor in factors)
        return self._factor_label(term, language, alone=True)

    def _factor_label(self, factor: str, language: str, *, alone: bool) -> str:
        """One factor's label: ``variable[level]`` as "Variable: Answer" (``alone``) or "Answer"."""
        variable, marker, level = factor.partition("[")
        has_answers = variable in self.variables.index and self.variables.at[variable, "list_name"]
        if marker and level.endswith("]") and has_answers:
            answer = self.answer_label(variable, level[:-1], language)
            separator = " : " if language == "fr" else ": "
            return self.label(variable, language) + separator + answer if alone else answer
        return self.label_or_name(factor, language)
