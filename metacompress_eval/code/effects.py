"""Side-effect classification of expressions: may two operands be evaluated in either order?"""

from __future__ import annotations

from tree_sitter import Node

from metacompress_eval.code.languages import walk_tree
from metacompress_eval.code.syntax import COMMENTS, IDENTIFIERS, MEMORY_ACCESSES

_LITERALS = frozenset(
    {
        "number_literal", "char_literal", "string_literal", "concatenated_string", "true", "false",
        "null", "null_literal", "this", "decimal_integer_literal", "hex_integer_literal",
        "octal_integer_literal", "binary_integer_literal", "decimal_floating_point_literal",
        "hex_floating_point_literal", "character_literal", "string", "number", "integer", "float",
        "none", "int_literal", "float_literal", "rune_literal", "interpreted_string_literal",
        "raw_string_literal", "nil", "iota", "undefined", "imaginary_literal",
    }
)
# Accesses that are free of side effects but may fail or observe memory (casts included: a cast
# may fail or reinterpret): two of them must not be reordered.
_ACCESSES = MEMORY_ACCESSES | {"cast_expression"}
_PURE_OPERATORS = frozenset({"parenthesized_expression", "unary_expression", "not_operator", "unary_operator",
                             "sizeof_expression"})
_BINARY = frozenset({"binary_expression", "binary_operator", "boolean_operator", "comparison_operator"})


def effect_class(node: Node, language: str) -> str:
    """Classify an expression: ``"pure"``, ``"access"`` (may fail or observe memory) or ``"unsafe"``.

    Only a whitelist of node types is accepted; anything else (calls, assignments, ``new``,
    ``await``, ``delete``, Python lambdas ...) is unsafe. Identifiers and literals are pure;
    field/array accesses, dereferences and casts are ``access``. Binary operators are pure in C and
    Go (integer division by zero is undefined / a panic we treat as an access), ``access`` in
    Java/JS/Python where an operator can call user code (``toString``, ``valueOf``, ``__add__``).
    """
    worst = "pure"
    for current in walk_tree(node):
        t = current.type
        if not current.is_named or t in COMMENTS:
            continue
        if t in IDENTIFIERS or t in _LITERALS or t in ("escape_sequence", "string_content", "character", "string_fragment",
                                                        "string_start", "string_end", "primitive_type",
                                                        "type_descriptor", "sized_type_specifier",
                                                        "integral_type", "floating_point_type",
                                                        "boolean_type", "abstract_declarator",
                                                        "abstract_pointer_declarator", "generic_type",
                                                        "scoped_type_identifier", "type_arguments"):
            continue
        if t in _PURE_OPERATORS:
            if t == "unary_expression":
                op = current.child_by_field_name("operator")
                if op is not None and op.type in ("delete", "void", "typeof", "<-"):
                    return "unsafe"
            continue
        if t in _ACCESSES:
            worst = "access"
            continue
        if t in _BINARY:
            op = current.child_by_field_name("operator")
            optext = op.type if op is not None else ""
            if language in ("java", "javascript", "python") or optext in ("/", "%"):
                worst = "access"
            continue
        return "unsafe"
    return worst


def independent_operands(a: Node, b: Node, language: str) -> bool:
    """True when evaluating ``a`` and ``b`` in either order gives the same observable behaviour."""
    classes = [effect_class(a, language), effect_class(b, language)]
    return "unsafe" not in classes and classes.count("access") <= 1
