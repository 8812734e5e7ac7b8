"""Expression-level transformations, plus the small syntax helpers the statement, loop and branch
modules share (side-effect classification, integer-type inference, tree walking).

Transformations (family ``expressions``):

* ``operand_swap``: ``a < b`` → ``b > a`` when evaluation order cannot matter;
* ``boolean_literal``: ``true`` → ``!false`` (Python ``True`` → ``(not False)``);
* ``increment_form``: ``i++`` ↔ ``++i`` ↔ ``i += 1`` ↔ ``i = i + 1`` where the value is unused;
* ``compound_assignment_expansion``: ``a += b`` → ``a = a + (b)`` for plain-identifier targets;
* ``redundant_parentheses``: wrap one simple sub-expression in an extra pair of parentheses.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from typing import Iterator

from tree_sitter import Node

from metacompress_eval.code.edits import Edit
from metacompress_eval.code.languages import ParsedCode, nodes_of_types, walk_tree
from metacompress_eval.transforms.base import NotApplicable, Proposal, Transformation

# --------------------------------------------------------------------------------------------
# Shared helpers (also imported by loops.py, branches.py and statements.py)
# --------------------------------------------------------------------------------------------

COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
BLOCKS = frozenset({"compound_statement", "block", "statement_block", "constructor_body"})
# Nodes that start a new function/class: a ``continue``/``break``/``return`` inside them never
# refers to the code around them, and their bodies run at another time.
FUNCTION_LIKE = frozenset(
    {
        "function_definition", "method_declaration", "constructor_declaration", "lambda_expression",
        "arrow_function", "function_expression", "function_declaration", "generator_function",
        "generator_function_declaration", "class_declaration", "class_body", "class", "func_literal",
        "lambda", "class_definition", "method_definition", "interface_declaration",
        "enum_declaration", "record_declaration",
    }
)
IDENTIFIERS = frozenset(
    {"identifier", "field_identifier", "property_identifier", "shorthand_property_identifier",
     "type_identifier", "private_property_identifier"}
)
CALLS = frozenset(
    {
        "call_expression", "method_invocation", "object_creation_expression", "new_expression",
        "call", "await_expression", "await", "yield_expression", "yield", "explicit_constructor_invocation",
        "array_creation_expression", "receive_statement", "send_statement", "unary_expression_receive",
        "gnu_asm_expression", "tagged_template_expression", "template_substitution", "interpolation",
        "macro_invocation",
    }
)
ASSIGNMENTS = frozenset(
    {"assignment_expression", "update_expression", "augmented_assignment_expression", "assignment",
     "augmented_assignment", "named_expression", "assignment_statement", "inc_statement",
     "dec_statement", "short_var_declaration"}
)
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
# Accesses that are free of side effects but may fail (null pointer, index out of range, getters)
# or observe memory: two of them must not be reordered.
_ACCESSES = frozenset(
    {"field_expression", "field_access", "member_expression", "attribute", "subscript_expression",
     "array_access", "subscript", "index_expression", "selector_expression", "pointer_expression",
     "cast_expression", "slice_expression"}
)
_PURE_OPERATORS = frozenset({"parenthesized_expression", "unary_expression", "not_operator", "unary_operator",
                             "sizeof_expression"})
_BINARY = frozenset({"binary_expression", "binary_operator", "boolean_operator", "comparison_operator"})


def walk(node: Node, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Pre-order walk of ``node``'s subtree, not descending into node types in ``skip``."""
    return walk_tree(node, skip)


def contains_type(node: Node, types: frozenset[str] | set[str]) -> bool:
    """Whether ``node`` or a descendant has one of ``types`` (or is a preprocessor node)."""
    return any(n.type in types or n.type.startswith("preproc_") for n in walk(node))


def has_comment(node: Node) -> bool:
    """Whether a comment lies inside ``node``."""
    return any(n.type in COMMENTS for n in walk(node))


class CommentIndex:
    """:func:`has_comment` for many nodes of one tree: a binary search over the comment spans
    instead of a walk of every node's subtree (which made candidate scans quadratic).

    A comment lies inside a node exactly when its span lies inside the node's span (comments are
    leaves, and tree-sitter attaches them to the innermost node whose children surround them).
    """

    def __init__(self, parsed: ParsedCode) -> None:
        comments = nodes_of_types(parsed.root, parsed.language, COMMENTS)
        self._starts = [c.start_byte for c in comments]
        self._ends = [c.end_byte for c in comments]

    def within(self, node: Node) -> bool:
        """Whether a comment lies inside ``node`` (``node`` itself included)."""
        if not self._starts:
            return False
        # Comments do not overlap: only the first one starting inside ``node`` can end inside it.
        i = bisect_left(self._starts, node.start_byte)
        return i < len(self._starts) and self._ends[i] <= node.end_byte


def choose(parsed: ParsedCode, rng: random.Random, candidates: list, what: str) -> tuple:
    """Pick one ``(position, payload...)`` candidate deterministically (sorted by position)."""
    if not candidates:
        raise NotApplicable(what)
    candidates.sort(key=lambda item: item[0])
    return rng.choice(candidates)


def effect_class(node: Node, language: str) -> str:
    """Classify an expression: ``"pure"``, ``"access"`` (may fail or observe memory) or ``"unsafe"``.

    Only a whitelist of node types is accepted; anything else (calls, assignments, ``new``,
    ``await``, ``delete``, Python lambdas ...) is unsafe. Identifiers and literals are pure;
    field/array accesses, dereferences and casts are ``access``. Binary operators are pure in C and
    Go (integer division by zero is undefined / a panic we treat as an access), ``access`` in
    Java/JS/Python where an operator can call user code (``toString``, ``valueOf``, ``__add__``).
    """
    worst = "pure"
    for current in walk(node):
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


# ----- integer typing -------------------------------------------------------------------------

_C_INT_TYPEDEFS = frozenset(
    {"size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "off_t", "wchar_t", "int8_t", "int16_t",
     "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "intmax_t", "uintmax_t",
     "DWORD", "WORD", "BYTE", "UINT", "ULONG", "LONG", "INT", "SIZE_T", "u_int", "u_long", "uint",
     "ulong", "ushort", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"}
)
_JAVA_INT_TYPES = frozenset({"byte", "short", "int", "long", "char", "Integer", "Long", "Short", "Byte", "Character"})
_GO_INT_TYPES = frozenset({"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
                           "uintptr", "byte", "rune"})
_INT_OPS = frozenset({"+", "-", "*", "%", "<<", ">>", "&", "|", "^", ">>>", "&^"})


def c_type_is_integer(type_text: str) -> bool:
    """Whether a C type spelling (no declarator) is an integer type."""
    words = type_text.replace("*", " * ").split()
    words = [w for w in words if w not in ("const", "volatile", "static", "register", "extern", "signed")]
    if not words or "*" in words or any(w in ("float", "double") for w in words):
        return False
    if all(w in ("int", "char", "short", "long", "unsigned") for w in words):
        return True
    return len(words) == 1 and words[0] in _C_INT_TYPEDEFS


def _int_literal(node: Node, language: str) -> bool:
    text = node.text.decode("utf-8", "replace") if node.text is not None else ""
    if node.type in ("decimal_integer_literal", "hex_integer_literal", "octal_integer_literal",
                     "binary_integer_literal", "integer", "int_literal", "char_literal", "character_literal",
                     "rune_literal"):
        return True
    if node.type in ("number_literal", "number"):
        body = text.rstrip("uUlLnN")
        if body.lower().startswith("0x"):
            return "." not in body and "p" not in body.lower()
        return bool(re.fullmatch(r"[0-9_']+", body))
    return False


class IntegerTypes:
    """Flow-insensitive knowledge of which local names are certainly integers.

    C/Java/Go: every declaration of the name in the snippet has an integer type (parameters
    included). JavaScript/Python (untyped): the name is never a parameter and every write to it
    assigns an integer-valued expression (integer literal, ``len(...)``, other such names, integer
    arithmetic) or is ``++``/``--``/``+= <int>``.
    """

    def __init__(self, parsed: ParsedCode) -> None:
        self.parsed = parsed
        self.language = parsed.language
        self.names: set[str] = set()
        self.declared: dict[str, set[str]] = {}  # name -> spelled types (C/Java/Go)
        if self.language in ("c", "java", "go"):
            self._typed()
        else:
            self._untyped()

    def _note(self, name: str, kind: str) -> None:
        self.declared.setdefault(name, set()).add(kind)

    _TYPED_NODES = {
        "c": frozenset({"declaration", "parameter_declaration", "field_declaration"}),
        "java": frozenset({"local_variable_declaration", "field_declaration", "formal_parameter",
                           "enhanced_for_statement", "catch_formal_parameter", "spread_parameter"}),
        "go": frozenset({"parameter_declaration", "var_spec", "const_spec", "short_var_declaration", "range_clause"}),
    }

    def _typed(self) -> None:
        p = self.parsed
        # Only declarations matter: let tree-sitter find them instead of walking every node.
        for node in nodes_of_types(p.root, self.language, self._TYPED_NODES[self.language]):
            t = node.type
            if self.language == "c" and t in ("declaration", "parameter_declaration", "field_declaration"):
                type_node = node.child_by_field_name("type")
                if type_node is None:
                    continue
                prefix = " ".join(
                    p.text(c) for c in node.children if c.type in ("type_qualifier", "storage_class_specifier")
                )
                base = prefix + " " + p.text(type_node)
                for child in node.children_by_field_name("declarator"):
                    inner = child.child_by_field_name("declarator") if child.type == "init_declarator" else child
                    if inner is not None and inner.type == "identifier":
                        self._note(p.text(inner), "int" if c_type_is_integer(base) else "other")
                    elif inner is not None:
                        names = [n for n in walk(inner) if n.type == "identifier"]
                        if names:
                            self._note(p.text(names[0]), "other")
            elif self.language == "java" and t in ("local_variable_declaration", "field_declaration",
                                                   "formal_parameter", "enhanced_for_statement",
                                                   "catch_formal_parameter", "spread_parameter"):
                type_node = node.child_by_field_name("type")
                type_text = p.text(type_node) if type_node is not None else ""
                declarators = node.children_by_field_name("declarator")
                names = [d.child_by_field_name("name") for d in declarators] if declarators else [
                    node.child_by_field_name("name")]
                for name_node in names:
                    if name_node is None:
                        continue
                    dims = [d for d in declarators if d.child_by_field_name("dimensions") is not None]
                    kind = "int" if type_text in _JAVA_INT_TYPES and not dims and t != "spread_parameter" else "other"
                    self._note(p.text(name_node), kind)
            elif self.language == "go" and t in ("parameter_declaration", "var_spec", "const_spec"):
                type_node = node.child_by_field_name("type")
                kind = "int" if type_node is not None and p.text(type_node) in _GO_INT_TYPES else "other"
                if type_node is None and t != "parameter_declaration":
                    values = node.child_by_field_name("value")
                    names = node.children_by_field_name("name")
                    if values is not None and len(values.named_children) == len(names):
                        for n, v in zip(names, values.named_children):
                            self._note(p.text(n), "int" if self.is_int(v) and v.type != "int_literal" or
                                       _int_literal(v, "go") and v.type == "int_literal" else "other")
                        continue
                    kind = "other"
                for n in node.children_by_field_name("name"):
                    self._note(p.text(n), kind)
            elif self.language == "go" and t in ("short_var_declaration", "range_clause"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                lefts = left.named_children if left is not None else []
                rights = right.named_children if right is not None and right.type == "expression_list" else []
                for i, n in enumerate(lefts):
                    ok = t == "short_var_declaration" and len(rights) == len(lefts) and (
                        rights[i].type == "int_literal" or self._go_len(rights[i]))
                    self._note(p.text(n), "int" if ok else "other")
        self.names = {n for n, kinds in self.declared.items() if kinds == {"int"}}

    def _go_len(self, node: Node) -> bool:
        if node.type != "call_expression":
            return False
        fn = node.child_by_field_name("function")
        return fn is not None and self.parsed.text(fn) in ("len", "cap")

    def _untyped(self) -> None:
        p = self.parsed
        writes: dict[str, list[bool]] = {}
        params: set[str] = set()
        for node in walk(p.root):
            t = node.type
            if t in ("formal_parameters", "parameters", "lambda_parameters"):
                params.update(p.text(n) for n in walk(node) if n.type in ("identifier", "shorthand_property_identifier_pattern"))
            elif t == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and name.type == "identifier":
                    writes.setdefault(p.text(name), []).append(value is not None and node)
            elif t in ("assignment_expression", "assignment", "augmented_assignment_expression",
                       "augmented_assignment", "update_expression", "for_in_statement", "for_statement",
                       "named_expression", "with_item", "as_pattern", "except_clause", "global_statement",
                       "nonlocal_statement", "import_statement", "import_from_statement", "pattern_list",
                       "tuple_pattern", "list_pattern", "for_in_clause", "delete_statement"):
                for target in self._targets(node):
                    writes.setdefault(p.text(target), []).append(node)
        self._writes = writes
        # Fixed point: a name is integer when all writes assign integer expressions.
        candidates = {n for n, ws in writes.items() if ws and all(ws) and n not in params}
        changed = True
        self.names = set(candidates)
        while changed:
            changed = False
            for name in list(self.names):
                if not all(self._int_write(w) for w in writes[name]):
                    self.names.discard(name)
                    changed = True

    def _targets(self, node: Node) -> list[Node]:
        t = node.type
        if t == "update_expression":
            arg = node.child_by_field_name("argument") or (node.named_children[0] if node.named_children else None)
            return [arg] if arg is not None and arg.type == "identifier" else []
        if t in ("for_statement",):
            return []  # handled through its initializer (a declaration or an assignment)
        if t in ("assignment_expression", "assignment", "augmented_assignment_expression", "augmented_assignment",
                 "named_expression"):
            left = node.child_by_field_name("left") or node.child_by_field_name("name")
            if left is None:
                return []
            return [n for n in walk(left) if n.type == "identifier" and (n == left or n.parent.type in (
                "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "array_pattern", "expression_list"))]
        if t == "for_in_clause" or t == "for_in_statement" or t == "for_statement":
            left = node.child_by_field_name("left")
            return [n for n in walk(left) if n.type == "identifier"] if left is not None else []
        return [n for n in walk(node) if n.type == "identifier" and n.parent is not None and n.parent.type in (
            "as_pattern_target", "with_item", "pattern_list", "tuple_pattern", "global_statement",
            "nonlocal_statement", "dotted_name", "aliased_import", "except_clause", "delete_statement")]

    def _int_write(self, node: Node) -> bool:
        t = node.type
        if t == "variable_declarator":
            value = node.child_by_field_name("value")
            return value is not None and self.is_int(value)
        if t == "update_expression":
            return True
        if t in ("assignment_expression", "assignment"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return left is not None and left.type == "identifier" and right is not None and self.is_int(right)
        if t in ("augmented_assignment_expression", "augmented_assignment"):
            op = node.child_by_field_name("operator")
            right = node.child_by_field_name("right")
            optext = op.type if op is not None else ""
            return optext in ("+=", "-=", "*=", "%=", "//=", "<<=", ">>=", "&=", "|=", "^=") and right is not None \
                and self.is_int(right)
        if t == "for_in_clause" or t == "for_statement":
            right = node.child_by_field_name("right")
            return right is not None and right.type == "call" and self.parsed.text(
                right.child_by_field_name("function")) == "range" if right is not None else False
        return False

    def is_int(self, node: Node) -> bool:
        """Whether the expression ``node`` certainly has an integer value (never NaN)."""
        p, lang, t = self.parsed, self.language, node.type
        if _int_literal(node, lang):
            return True
        if t == "identifier":
            return p.text(node) in self.names
        if t == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type not in COMMENTS]
            return len(inner) == 1 and self.is_int(inner[0])
        if t in ("unary_expression", "unary_operator"):
            op = node.child_by_field_name("operator")
            arg = node.child_by_field_name("argument") or node.child_by_field_name("operand")
            return op is not None and op.type in ("-", "+", "~") and arg is not None and self.is_int(arg)
        if t in ("binary_expression", "binary_operator"):
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is None or left is None or right is None:
                return False
            ops = _INT_OPS | ({"/"} if lang in ("c", "java", "go") else set()) | ({"//"} if lang == "python" else set())
            if lang == "javascript":
                ops = ops - {"/", "%"}  # 1 % 0 is NaN
            return op.type in ops and self.is_int(left) and self.is_int(right)
        if t == "sizeof_expression":
            return True
        if t == "cast_expression":
            type_node = node.child_by_field_name("type")
            if type_node is None:
                return False
            text = p.text(type_node)
            return c_type_is_integer(text) if lang == "c" else text in _JAVA_INT_TYPES
        if t == "call_expression" and lang in ("c", "go"):
            fn = node.child_by_field_name("function")
            return fn is not None and p.text(fn) in (("strlen", "wcslen") if lang == "c" else ("len", "cap"))
        if t == "call" and lang == "python":
            fn = node.child_by_field_name("function")
            return fn is not None and p.text(fn) == "len"
        if t == "field_access" and lang == "java":
            field = node.child_by_field_name("field")
            return field is not None and p.text(field) == "length"
        if t == "method_invocation" and lang == "java":
            name, args = node.child_by_field_name("name"), node.child_by_field_name("arguments")
            return name is not None and p.text(name) in ("length", "size") and args is not None and not args.named_children
        return False


_DECLARATIONS = frozenset({"local_variable_declaration", "formal_parameter", "field_declaration"})


def declared_type(parsed: ParsedCode, name: str) -> str | None:
    """The single type spelling under which ``name`` is declared in a C/Java snippet (else None)."""
    found: set[str] = set()
    for node in nodes_of_types(parsed.root, parsed.language, _DECLARATIONS):
        type_node = node.child_by_field_name("type")
        for decl in node.children_by_field_name("declarator") or [node]:
            n = decl.child_by_field_name("name")
            if n is not None and parsed.text(n) == name and type_node is not None:
                found.add(parsed.text(type_node) + ("[]" if decl.child_by_field_name("dimensions") else ""))
    return found.pop() if len(found) == 1 else None


# --------------------------------------------------------------------------------------------
# operand_swap
# --------------------------------------------------------------------------------------------

_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "===": "===", "!==": "!=="}
# Operand node kinds that bind tighter than any comparison in every supported language.
_TIGHT_BINARY = frozenset({"+", "-", "*", "/", "%", "<<", ">>", ">>>"})



def comparison_parts(node: Node) -> tuple[Node, Node, Node] | None:
    """``(operator, left, right)`` of a binary comparison, or ``None``.

    C-family ``binary_expression`` and Python ``comparison_operator`` (only a single, unchained
    comparison: ``a < b < c``, ``not in`` and ``is not`` give ``None``).
    """
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    elif node.type == "comparison_operator":
        ops = node.children_by_field_name("operators")
        if len(ops) != 1 or len(node.named_children) != 2:
            return None
        op, (left, right) = ops[0], node.named_children
    else:
        return None
    if op is None or left is None or right is None:
        return None
    return op, left, right


class OperandSwap(Transformation):
    """Mirror one comparison: ``a < b`` → ``b > a``, ``a == b`` → ``b == a``.

    Only when neither operand can have side effects and at most one of them may fail or call user
    code (field/array access, dereference, cast, overloadable operator), so that the order of
    evaluation cannot be observed. Python chained comparisons (``a < b < c``) are skipped. An
    operand that is itself a comparison/bitwise/logical expression is parenthesised, since moving
    it to the other side could otherwise re-associate it.
    """

    name = "operand_swap"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Swap the operands of one comparison and mirror its operator."
    default_params: dict = {}

    _COMPARISONS = frozenset({"binary_expression", "comparison_operator"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        comments = CommentIndex(parsed)
        # Only comparisons can be candidates: find them with a query, not a walk over every node.
        for node in nodes_of_types(parsed.root, parsed.language, self._COMPARISONS):
            if not parsed.in_snippet(node) or comments.within(node):
                continue
            parts = comparison_parts(node)
            if parts is None or parts[0].type not in _MIRROR:
                continue
            op, left, right = parts
            if not independent_operands(left, right, parsed.language):
                continue
            new = f"{self._operand(parsed, right)} {_MIRROR[op.type]} {self._operand(parsed, left)}"
            start, end = parsed.span(node)
            candidates.append((start, Edit(start, end, new), op.type))
        position, edit, operator = choose(parsed, rng, candidates, "no comparison whose operands are free of side effects")
        return Proposal([edit], {"position": position, "operator": operator, "candidates": len(candidates)})

    @staticmethod
    def _operand(parsed: ParsedCode, node: Node) -> str:
        text = parsed.text(node)
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is None or op.type not in _TIGHT_BINARY:
                return f"({text})"
        if node.type in ("conditional_expression", "ternary_expression", "assignment_expression", "comma_expression"):
            return f"({text})"
        return text


# --------------------------------------------------------------------------------------------
# boolean_literal
# --------------------------------------------------------------------------------------------


class BooleanLiteral(Transformation):
    """Rewrite one boolean literal as the negation of the other: ``true`` → ``!false``.

    Java, JavaScript and Go use ``!``; Python uses ``(not False)`` / ``(not True)`` with
    parentheses, because ``not`` binds more loosely than comparisons (``x == not False`` is a
    syntax error). C is not supported (``true`` needs ``<stdbool.h>`` and may be a macro).
    Java annotations and Python ``case`` patterns are skipped (they need literal syntax).
    """

    name = "boolean_literal"
    family = "expressions"
    languages = frozenset({"java", "javascript", "python", "go"})
    description = "Replace one boolean literal by the negation of the opposite literal."
    default_params: dict = {}

    _LITERALS = frozenset({"true", "false"})
    _SKIP_INSIDE = frozenset({"annotation", "marker_annotation", "case_pattern", "case_clause_pattern",
                              "element_value_pair", "pattern", "import_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        # The ancestor check below also excludes everything a walk that skips _SKIP_INSIDE would.
        for node in nodes_of_types(parsed.root, parsed.language, self._LITERALS):
            if node.type not in ("true", "false") or not parsed.in_snippet(node):
                continue
            if any(a.type in self._SKIP_INSIDE for a in _ancestors(node)):
                continue
            start, end = parsed.span(node)
            value = node.type == "true"
            if parsed.language == "python":
                new = "(not False)" if value else "(not True)"
            else:
                new = "!false" if value else "!true"
            candidates.append((start, Edit(start, end, new), parsed.text(node)))
        position, edit, literal = choose(parsed, rng, candidates, "no boolean literal")
        return Proposal([edit], {"position": position, "literal": literal, "candidates": len(candidates)})


def _ancestors(node: Node) -> Iterator[Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


# --------------------------------------------------------------------------------------------
# increment_form
# --------------------------------------------------------------------------------------------


def _value_unused(node: Node) -> bool:
    """Whether the value of expression ``node`` is discarded (statement or for-update)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        return len([c for c in parent.named_children if c.type not in COMMENTS]) == 1
    if parent.type in ("comma_expression", "sequence_expression"):
        # Only the left element's value is discarded for sure... unless the whole list is.
        return _value_unused(parent)
    if parent.type == "for_statement":
        for i, child in enumerate(parent.children):
            if child == node:
                return parent.field_name_for_child(i) in ("update", "increment")
    return False


class IncrementForm(Transformation):
    """Change how a ``±1`` update is spelled where its value is unused.

    C/Java/JS: ``i++`` ↔ ``++i`` ↔ ``i += 1`` ↔ ``i = i + 1`` (the last only for plain-identifier
    targets). Go: ``i++`` ↔ ``i += 1`` ↔ ``i = i + 1``. Python: ``i += 1`` ↔ ``i = i + 1``.

    Type rules that keep this exact: Java ``+= 1``/``= i + 1`` only for names declared with a
    numeric primitive type in the snippet (``s += 1`` appends to a String, ``b = b + 1`` does not
    compile for ``byte``); JavaScript only ``++`` prefix/postfix swaps unless the name is certainly
    a number (``s += 1`` concatenates, BigInt rejects mixing); Python only names that certainly
    hold integers (``+=`` mutates lists and arrays in place).
    """

    name = "increment_form"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Rewrite a value-unused i++ / ++i / i += 1 / i = i + 1 in another of these forms."
    default_params: dict = {}

    _JAVA_NUMERIC = frozenset({"int", "long", "float", "double", "Integer", "Long", "Float", "Double"})
    _SITES = frozenset({"inc_statement", "dec_statement", "assignment_statement", "assignment", "augmented_assignment",
                        "update_expression", "assignment_expression", "augmented_assignment_expression"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        ints = IntegerTypes(parsed) if parsed.language in ("javascript", "python") else None
        candidates = []
        comments = CommentIndex(parsed)
        # _site only accepts these node types: find them with a query, not a walk over every node.
        for node in nodes_of_types(parsed.root, parsed.language, self._SITES):
            if not parsed.in_snippet(node) or comments.within(node):
                continue
            site = self._site(parsed, node)
            if site is None:
                continue
            target, sign, form = site
            alternatives = self._forms(parsed, target, sign, ints, form) - {form}
            if alternatives:
                start, end = parsed.span(node)
                candidates.append((start, node, target, sign, form, sorted(alternatives)))
        position, node, target, sign, form, alternatives = choose(
            parsed, rng, candidates, "no increment/decrement by one whose value is unused")
        new_form = rng.choice(alternatives)
        t, op = parsed.text(target), sign
        text = {"post": f"{t}{op}{op}", "pre": f"{op}{op}{t}", "compound": f"{t} {op}= 1",
                "expanded": f"{t} = {t} {op} 1"}[new_form]
        start, end = parsed.span(node)
        return Proposal([Edit(start, end, text)], {"position": position, "from": form, "to": new_form,
                                                   "candidates": len(candidates)})

    def _site(self, parsed: ParsedCode, node: Node) -> tuple[Node, str, str] | None:
        """``(target, '+' or '-', form)`` when ``node`` is a value-unused increment."""
        lang, t = parsed.language, node.type
        if lang == "go":
            if t in ("inc_statement", "dec_statement"):
                return node.named_children[0], "+" if t == "inc_statement" else "-", "post"
            if t == "assignment_statement":
                left, right, op = (node.child_by_field_name(f) for f in ("left", "right", "operator"))
                if left is None or right is None or len(left.named_children) != 1 or len(right.named_children) != 1:
                    return None
                return self._binary_form(parsed, left.named_children[0], op, right.named_children[0])
            return None
        if lang == "python":
            if t in ("assignment", "augmented_assignment") and node.parent is not None and \
                    node.parent.type == "expression_statement":
                return self._binary_form(parsed, node.child_by_field_name("left"), node.child_by_field_name("operator")
                                         or _op_child(node), node.child_by_field_name("right"))
            return None
        if not _value_unused(node):
            return None
        if t == "update_expression":
            arg = node.child_by_field_name("argument") or node.named_children[0]
            op = next((c for c in node.children if c.type in ("++", "--")), None)
            if op is None or effect_class(arg, lang) == "unsafe":
                return None
            form = "pre" if op.start_byte < arg.start_byte else "post"
            return arg, op.type[0], form
        if t in ("assignment_expression", "augmented_assignment_expression"):
            return self._binary_form(parsed, node.child_by_field_name("left"),
                                     node.child_by_field_name("operator") or _op_child(node),
                                     node.child_by_field_name("right"))
        return None

    def _binary_form(self, parsed: ParsedCode, left: Node | None, op: Node | None,
                     right: Node | None) -> tuple[Node, str, str] | None:
        if left is None or op is None or right is None:
            return None
        if op.type in ("+=", "-=") and parsed.text(right) == "1":
            if effect_class(left, parsed.language) == "unsafe":
                return None
            return left, op.type[0], "compound"
        if op.type == "=" and left.type == "identifier" and right.type in ("binary_expression", "binary_operator"):
            r_op = right.child_by_field_name("operator")
            r_left, r_right = right.child_by_field_name("left"), right.child_by_field_name("right")
            if r_op is not None and r_op.type in ("+", "-") and r_left is not None and r_right is not None and \
                    parsed.text(r_left) == parsed.text(left) and r_left.type == "identifier" and \
                    parsed.text(r_right) == "1":
                return left, r_op.type, "expanded"
        return None

    def _forms(self, parsed: ParsedCode, target: Node, sign: str, ints: IntegerTypes | None, form: str) -> set[str]:
        lang = parsed.language
        plain = target.type == "identifier"
        if lang == "python":
            return {"compound", "expanded"} if plain and ints is not None and parsed.text(target) in ints.names else set()
        if lang == "go":
            return {"post", "compound"} | ({"expanded"} if plain else set())
        forms = {"post", "pre"}
        if lang == "c":
            numeric = True
        elif lang == "java":
            numeric = plain and declared_type(parsed, parsed.text(target)) in self._JAVA_NUMERIC
        else:
            numeric = plain and ints is not None and parsed.text(target) in ints.names
        if numeric:
            forms.add("compound")
            if plain:
                forms.add("expanded")
        elif form not in forms:
            return set()  # ``s += 1`` may concatenate a string: it cannot become ``s++``
        return forms


def _op_child(node: Node) -> Node | None:
    for child in node.children:
        if not child.is_named and child.type.endswith("="):
            return child
    return None


# --------------------------------------------------------------------------------------------
# compound_assignment_expansion
# --------------------------------------------------------------------------------------------

_COMPOUND = {"+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="}
_PY_COMPOUND = _COMPOUND | {"//=", "**="}
_GO_COMPOUND = _COMPOUND | {"&^="}


class CompoundAssignmentExpansion(Transformation):
    """``a op= b`` → ``a = a op (b)`` for a plain-identifier target ``a``.

    C, JavaScript and Go define compound assignment exactly this way (the target is evaluated once,
    which does not matter for a plain name). Java compound assignment casts implicitly, so it is
    only expanded when ``a`` is declared ``int`` and ``b`` is visibly int-typed, ``a`` is
    declared ``long`` and ``b`` is visibly integral, or ``a`` is a ``String`` and the operator is
    ``+=`` (string concatenation needs no cast). Python ``+=`` is in-place for mutable objects,
    so only names that certainly hold integers are expanded.
    """

    name = "compound_assignment_expansion"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Expand one compound assignment a op= b into a = a op (b)."
    default_params: dict = {}

    _ASSIGNMENTS = frozenset({"assignment_expression", "augmented_assignment", "assignment_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        lang = parsed.language
        ints = IntegerTypes(parsed) if lang in ("java", "python") else None
        candidates = []
        for node in nodes_of_types(parsed.root, lang, self._ASSIGNMENTS):
            if not parsed.in_snippet(node):
                continue
            if node.type in ("assignment_expression", "augmented_assignment", "assignment_statement"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                op = node.child_by_field_name("operator") or _op_child(node)
            else:
                continue
            if left is None or right is None or op is None:
                continue
            if lang == "go":
                if len(left.named_children) != 1 or len(right.named_children) != 1:
                    continue
                left, right = left.named_children[0], right.named_children[0]
            allowed = _PY_COMPOUND if lang == "python" else _GO_COMPOUND if lang == "go" else _COMPOUND
            if op.type not in allowed or left.type != "identifier":
                continue
            name = parsed.text(left)
            if lang == "java":
                declared = declared_type(parsed, name)
                if not ((declared == "int" and _java_int_expr(parsed, right, ints, {"int", "short", "byte", "char"}))
                        or (declared == "long" and ints is not None and ints.is_int(right))
                        or (declared == "String" and op.type == "+=")):
                    continue
            if lang == "python" and (ints is None or name not in ints.names):
                continue
            start, end = parsed.span(node)
            right_text = parsed.text(right)
            operator = op.type[:-1]
            new = f"{name} = {name} {operator} ({right_text})"
            edit_start = parsed.span(left)[0]
            candidates.append((start, Edit(edit_start, parsed.span(right)[1], new), op.type))
        position, edit, operator = choose(parsed, rng, candidates, "no compound assignment to a plain variable that "
                                          "can be expanded safely")
        return Proposal([edit], {"position": position, "operator": operator, "candidates": len(candidates)})


def _java_int_expr(parsed: ParsedCode, node: Node, ints: IntegerTypes | None, types: set[str]) -> bool:
    """Whether a Java expression is certainly of type int (not long): int literals, names declared
    int/short/byte/char, ``.length``, ``.length()``/``.size()`` and int arithmetic of these."""
    t = node.type
    if t == "decimal_integer_literal" or t == "hex_integer_literal" or t == "octal_integer_literal" or \
            t == "binary_integer_literal":
        return not parsed.text(node).lower().endswith("l")
    if t == "character_literal":
        return True
    if t == "identifier":
        return declared_type(parsed, parsed.text(node)) in types
    if t == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type not in COMMENTS]
        return len(inner) == 1 and _java_int_expr(parsed, inner[0], ints, types)
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return op is not None and op.type in _INT_OPS | {"/"} and left is not None and right is not None and \
            _java_int_expr(parsed, left, ints, types) and _java_int_expr(parsed, right, ints, types)
    if t in ("field_access", "method_invocation"):
        return ints is not None and ints.is_int(node)
    return False


# --------------------------------------------------------------------------------------------
# redundant_parentheses
# --------------------------------------------------------------------------------------------

_SIMPLE_EXPRESSIONS = frozenset(
    {"identifier", "number_literal", "string_literal", "char_literal", "true", "false", "null_literal",
     "decimal_integer_literal", "hex_integer_literal", "decimal_floating_point_literal", "character_literal",
     "string", "number", "integer", "float", "int_literal", "float_literal", "interpreted_string_literal",
     "rune_literal", "binary_expression", "binary_operator", "comparison_operator", "boolean_operator",
     "call_expression", "method_invocation", "call", "field_expression", "field_access", "member_expression",
     "attribute", "subscript_expression", "array_access", "subscript", "index_expression",
     "selector_expression", "unary_expression", "not_operator", "cast_expression", "pointer_expression"}
)


class RedundantParentheses(Transformation):
    """Wrap one simple expression in an extra pair of parentheses.

    Sites: the right-hand side of an assignment or initialised declaration, a returned value, or an
    operand of a binary ``if``/``while`` condition. Only "simple" expressions are wrapped
    (identifiers, literals, calls, accesses, unary/binary operators): never Python tuples,
    generator expressions, ``yield``/``lambda``/starred expressions, JS arrow functions, nor
    anything inside a C macro argument list (a macro may stringify or paste its argument).
    """

    name = "redundant_parentheses"
    family = "expressions"
    languages = frozenset({"c", "java", "javascript", "python", "go"})
    description = "Put an extra pair of parentheses around one simple expression."
    default_params: dict = {}

    _SITES = frozenset({"assignment_expression", "assignment", "augmented_assignment_expression", "augmented_assignment",
                        "init_declarator", "variable_declarator", "assignment_statement", "short_var_declaration",
                        "return_statement", "if_statement", "while_statement"})

    def propose(self, parsed: ParsedCode, rng: random.Random) -> Proposal | NotApplicable:
        candidates = []
        comments = CommentIndex(parsed)
        # _targets only finds sites under these node types: query them instead of walking every node.
        for node in nodes_of_types(parsed.root, parsed.language, self._SITES):
            if not parsed.in_snippet(node):
                continue
            for target, site in self._targets(parsed, node):
                if target.type not in _SIMPLE_EXPRESSIONS or comments.within(target) or not parsed.in_snippet(target):
                    continue
                if parsed.language == "c" and any(a.type == "argument_list" for a in _ancestors(target)):
                    continue
                if parsed.language == "python" and target.type == "string" and "\n" in parsed.text(target):
                    continue
                start, end = parsed.span(target)
                candidates.append((start, Edit(start, end, f"({parsed.text(target)})"), site))
        position, edit, site = choose(parsed, rng, candidates, "no simple expression to parenthesise")
        return Proposal([edit], {"position": position, "site": site, "candidates": len(candidates)})

    @staticmethod
    def _targets(parsed: ParsedCode, node: Node) -> list[tuple[Node, str]]:
        t, lang = node.type, parsed.language
        found: list[tuple[Node, str]] = []
        if t in ("assignment_expression", "assignment", "augmented_assignment_expression", "augmented_assignment"):
            right = node.child_by_field_name("right")
            if right is not None:
                found.append((right, "assignment"))
        elif t in ("init_declarator", "variable_declarator"):
            value = node.child_by_field_name("value")
            if value is not None and value.type not in ("initializer_list", "array_initializer"):
                found.append((value, "initializer"))
        elif t in ("assignment_statement", "short_var_declaration"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and len(left.named_children) == len(right.named_children):
                found.extend((r, "assignment") for r in right.named_children)
        elif t == "return_statement":
            values = [c for c in node.named_children if c.type not in COMMENTS]
            if len(values) == 1 and values[0].type == "expression_list" and lang == "go":
                if len(values[0].named_children) == 1:
                    found.append((values[0].named_children[0], "return"))
            elif len(values) == 1:
                found.append((values[0], "return"))
        elif t in ("if_statement", "while_statement"):
            cond = node.child_by_field_name("condition")
            if cond is not None and cond.type == "parenthesized_expression":
                inner = [c for c in cond.named_children if c.type not in COMMENTS]
                cond = inner[0] if len(inner) == 1 else None
            if cond is not None and cond.type in ("binary_expression", "comparison_operator", "boolean_operator"):
                operands = [c for c in cond.named_children if c.type not in COMMENTS]
                found.extend((o, "condition_operand") for o in operands)
        return found


__all__ = [
    "BooleanLiteral",
    "CompoundAssignmentExpansion",
    "IncrementForm",
    "OperandSwap",
    "RedundantParentheses",
]
