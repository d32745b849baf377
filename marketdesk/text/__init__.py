"""Russian text handling: normalisation, tokens, lemmas (pymorphy3), synonyms, typos."""

from marketdesk.text.analyzer import Analysis, TextAnalyzer, TypoCorrector, tokenize
from marketdesk.text.morph import analyse, lemma
from marketdesk.text.normalize import normalize
from marketdesk.text.synonyms import Synonyms, default_synonyms

__all__ = [
    "Analysis",
    "Synonyms",
    "TextAnalyzer",
    "TypoCorrector",
    "analyse",
    "default_synonyms",
    "lemma",
    "normalize",
    "tokenize",
]
