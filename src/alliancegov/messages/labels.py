"""What a reader sees in place of the pipeline's names: labels in the report's language.

A :class:`Labeller` turns a column name, a model term or any cell of a table into the words of
the codebook (questions, scales, items, answers) or of the message catalogue (tests,
statistics, models, exclusion rules, derived variables), and survey waves into their year.
Composite cells (``a = b``, ``a->b``, ``a - b``, ``omitting a``, thresholds ``a|b``, lists of
variables) are labelled part by part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from alliancegov.codebook.tables import Codebook
from alliancegov.messages import message, section

CODE_SUFFIX = "__code"          # a derived numeric copy of a categorical answer (alliancegov.constructs)
SPLITTERS = ((re.compile(r"^(.+?)->(.+?) vs (.+?)->(.+)$"), "{0} → {1} vs {2} → {3}"),
             (re.compile(r"^(\S+)→(\S+)$"), "{0} → {1}"),
             (re.compile(r"^(\S+)->(\S+)$"), "{0} → {1}"),
             (re.compile(r"^(\S+) = (\S+)$"), "{0} = {1}"),
             (re.compile(r"^(\S+) - (\S+)$"), "{0} − {1}"),
             (re.compile(r"^(\S+)\|(\S+)$"), "{0} | {1}"))
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
VARIABLE_COLUMNS = frozenset({"scale", "other_scale", "variable", "variable_a", "variable_b", "factor", "item",
                              "term"})
WORDS = re.compile(r"^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)+$")


@dataclass
class Labeller:
    """Labels of one report's names in its language.

    Parameters
    ----------
    codebook : Codebook
        Labels of the questions, scales, items and answers.
    language : str
        The report's language (a message catalogue's).
    outcome : str
        The choice model's question (the governance form): the answers of ``outcome``,
        ``from_state`` and ``to_state`` columns.
    waves : mapping of str to str
        Wave identifier → its label (:func:`alliancegov.formatting.wave_labels`).
    """

    codebook: Codebook
    language: str
    outcome: str = "governance_form"
    waves: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def answers(self) -> dict[str, str]:
        """Answer name → label, over every value set of the codebook (names are unique across sets).

        Returns
        -------
        dict of str to str
        """
        sets = self.codebook.value_sets
        return dict(zip(sets["name"].astype(str), sets[f"label_{self.language}"]))

    @cached_property
    def values(self) -> dict[str, str]:
        """The catalogue's coded values (tests, statistics, models, booleans) and exclusion rules.

        Returns
        -------
        dict of str to str
            Coded value → its words in the labeller's language.
        """
        return {**section("rules", self.language), **section("values", self.language)}

    def variable(self, name: str) -> str:
        """A variable, scale or item's label; a derived column's from the catalogue.

        Parameters
        ----------
        name : str
            A name of the codebook, of the catalogue's ``variables`` or ``terms``, or a
            ``<question>__code`` column.

        Returns
        -------
        str
            The label; ``name`` itself if neither knows it.
        """
        derived = section("variables", self.language)
        if name in derived:
            return str(derived[name])
        if name.endswith(CODE_SUFFIX):
            return self.variable(name.removesuffix(CODE_SUFFIX))
        return self.codebook.label_or_name(name, self.language)

    def wave(self, wave: str) -> str:
        """A wave's label (its year), ``"Wave 2024"``-style words left to the caller.

        Parameters
        ----------
        wave : str
            A wave identifier.

        Returns
        -------
        str
            Its label, or the identifier when the waves sheet does not name it.
        """
        return str(self.waves.get(str(wave), wave))

    def term(self, term: str) -> str:
        """A model term's label: the constant, wave effects, selection terms, codebook terms.

        Parameters
        ----------
        term : str
            A term of a tidy table (``Intercept``, ``wave[w2025]``, ``sector[textile]``,
            ``governance_form[licensing]:sector[textile]``, ``dmf[licensing]``, a threshold
            ``a|b``...).

        Returns
        -------
        str
        """
        terms = section("terms", self.language)
        if term in terms:
            return str(terms[term])
        name, bracket, level = term.partition("[")
        if bracket and level.endswith("]") and ":" not in term:
            level = level[:-1]
            if name == "wave":
                return message("report.wave", self.language, wave=self.wave(level))
            if name in terms:   # a term named by an alternative (a selection term per form)
                return f"{terms[name]} ({self.value(level)})"
        if term in self.answers or term in self.values:
            return self.value(term)
        label = self.codebook.term_label(term, self.language)
        if label != term:
            return label
        if bracket and level.endswith("]") and ":" not in term:   # a coded name and its level: both labelled
            return f"{self.value(name)} ({self.value(level[:-1])})"
        # value() labels what has no brackets or colons; those it hands back here, so stop at the name
        return term if "[" in term or ":" in term else self.value(term)

    def value(self, value: object, column: str | None = None) -> object:
        """Any cell of a table as a reader sees it; numbers and unknown text unchanged.

        Parameters
        ----------
        value : object
            A cell.
        column : str, optional
            Its column: in a column of questions or scales (:data:`VARIABLE_COLUMNS`) a name
            that is also an answer's is read as the question's.

        Returns
        -------
        object
            For text: the catalogue's label of a coded value, an answer's label (the forms
            first), a wave's label, a variable's or a term's label, or a composite cell labelled
            part by part; anything else as given.
        """
        if not isinstance(value, str) or not value:
            return value
        text = value.strip()
        if NUMBER.match(text):   # a number read as text is not an answer's name ("3" of a Likert set)
            return value
        if column in VARIABLE_COLUMNS and self.variable(text) != text:
            return self.variable(text)
        if text in self.values:
            return str(self.values[text])
        if text in self.waves:
            return self.wave(text)
        if text in self.answers:
            return self.answers[text]
        label = self.variable(text)
        if label != text:
            return label
        if "[" in text or ":" in text:
            return self.term(text)
        for pattern, shape in SPLITTERS:
            match = pattern.match(text)
            if match:
                return shape.format(*(self.value(part) for part in match.groups()))
        if text.startswith("omitting "):
            return message("report.omitting", self.language, name=self.value(text.removeprefix("omitting ")))
        if WORDS.match(text) and all(self.variable(word) != word for word in text.split()):
            return ", ".join(self.variable(word) for word in text.split())
        return value

    def answer(self, name: str) -> str:
        """An answer's label, whatever its name (Likert answers are named by their code).

        Parameters
        ----------
        name : str
            An answer name of the codebook's value sets.

        Returns
        -------
        str
            Its label, or ``name`` when no value set has it.
        """
        return str(self.answers.get(str(name), name))

    def column(self, name: str) -> str:
        """A column's header: the catalogue's, else the codebook label of the question it holds.

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        str
        """
        columns = section("columns", self.language)
        if name in columns:
            return str(columns[name])
        return self.variable(name) if isinstance(name, str) else name
