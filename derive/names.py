"""Spellings of names: Greek letters, subscripts, and the canonical key that makes `w_0`,
`w_{0}` and `w0` the same variable."""
import re
import unicodedata

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
GREEK_NAMES = set(GREEK.values()) | {"varepsilon", "vartheta", "varphi", "varrho"}
GREEK_UNICODE = {v: k for k, v in GREEK.items() if k not in "ϵςϕ"}
MACRON = "\u0304"


def decomposed(text):
    """Letters typed with a macron as one character (ȳ, ā) as letter + combining macron."""
    if not any(unicodedata.decomposition(ch).endswith("0304") for ch in text if ord(ch) > 127):
        return text
    return "".join(unicodedata.normalize("NFD", ch) if unicodedata.decomposition(ch).endswith("0304") else ch
                   for ch in text)


def spelled(name):
    """Unicode Greek letters spelled out, `{}` dropped: `λ` -> `lambda`, `w_{0}` -> `w_0`."""
    out = "".join(GREEK.get(ch, ch) for ch in decomposed(name))
    return out.replace("{", "").replace("}", "")


def canonical(name):
    """The key under which differently written names are the same: `w_0`, `w_{0}`, `w0`."""
    return re.sub(r"_(?=\d)", "", spelled(name))
