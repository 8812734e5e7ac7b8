"""What the syntax alone says about types: which names certainly hold integers, and the type a
name is declared with (C, Java, Go; JavaScript and Python from the values assigned)."""

from __future__ import annotations

import re

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode, nodes_of_types, walk_tree
from metacompress_eval.code.syntax import COMMENTS

_C_INT_TYPEDEFS = frozenset(
    {"size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "off_t", "wchar_t", "int8_t", "int16_t",
     "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "intmax_t", "uintmax_t",
     "DWORD", "WORD", "BYTE", "UINT", "ULONG", "LONG", "INT", "SIZE_T", "u_int", "u_long", "uint",
     "ulong", "ushort", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"}
)
_JAVA_INT_TYPES = frozenset({"byte", "short", "int", "long", "char", "Integer", "Long", "Short", "Byte", "Character"})
_GO_INT_TYPES = frozenset({"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
                           "uintptr", "byte", "rune"})
INT_OPS = frozenset({"+", "-", "*", "%", "<<", ">>", "&", "|", "^", ">>>", "&^"})


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
                        names = [n for n in walk_tree(inner) if n.type == "identifier"]
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
        for node in walk_tree(p.root):
            t = node.type
            if t in ("formal_parameters", "parameters", "lambda_parameters"):
                params.update(p.text(n) for n in walk_tree(node) if n.type in ("identifier", "shorthand_property_identifier_pattern"))
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
        # Greatest fixed point: a name is integer when all its writes assign integer expressions.
        # Each write is integer exactly when its shape is and the names it reads (through
        # arithmetic and parentheses) are (see :meth:`_requirements`), so a worklist drops a name
        # once and then each name that depends on it (re-checking every name per round took
        # rounds as many as the length of a chain ``x1 = x0 + 1; x2 = x1 + 1; ...``).
        candidates = {n for n, ws in writes.items() if ws and all(ws) and n not in params}
        needs: dict[str, set[str]] = {}
        dropped = []
        for name in candidates:
            required: set[str] = set()
            for write in writes[name]:
                found = self._write_requirements(write)
                if found is None:
                    dropped.append(name)
                    break
                required |= found
            else:
                needs[name] = required
        names = set(needs)
        needed_by: dict[str, list[str]] = {}
        for name, required in needs.items():
            for other in required:
                if other not in names:
                    dropped.append(name)
                needed_by.setdefault(other, []).append(name)
        while dropped:
            name = dropped.pop()
            if name in names:
                names.discard(name)
            dropped.extend(n for n in needed_by.pop(name, ()) if n in names)
        self.names = names

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
            return [n for n in walk_tree(left) if n.type == "identifier" and (n == left or n.parent.type in (
                "pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "array_pattern", "expression_list"))]
        if t == "for_in_clause" or t == "for_in_statement" or t == "for_statement":
            left = node.child_by_field_name("left")
            return [n for n in walk_tree(left) if n.type == "identifier"] if left is not None else []
        return [n for n in walk_tree(node) if n.type == "identifier" and n.parent is not None and n.parent.type in (
            "as_pattern_target", "with_item", "pattern_list", "tuple_pattern", "global_statement",
            "nonlocal_statement", "dotted_name", "aliased_import", "except_clause", "delete_statement")]

    def _write_requirements(self, node: Node) -> set[str] | None:
        """Names that must hold integers for the write ``node`` to assign one (``None``: it never does)."""
        t = node.type
        if t == "variable_declarator":
            value = node.child_by_field_name("value")
            return self._requirements(value) if value is not None else None
        if t == "update_expression":
            return set()
        if t in ("assignment_expression", "assignment"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None:
                return self._requirements(right)
            return None
        if t in ("augmented_assignment_expression", "augmented_assignment"):
            op = node.child_by_field_name("operator")
            right = node.child_by_field_name("right")
            optext = op.type if op is not None else ""
            if optext in ("+=", "-=", "*=", "%=", "//=", "<<=", ">>=", "&=", "|=", "^=") and right is not None:
                return self._requirements(right)
            return None
        if t == "for_in_clause" or t == "for_statement":
            right = node.child_by_field_name("right")
            ok = right is not None and right.type == "call" and self.parsed.text(
                right.child_by_field_name("function")) == "range" if right is not None else False
            return set() if ok else None
        return None

    def is_int(self, node: Node) -> bool:
        """Whether the expression ``node`` certainly has an integer value (never NaN)."""
        required = self._requirements(node)
        return required is not None and required <= self.names

    def _requirements(self, node: Node) -> set[str] | None:
        """The names that must be integers for expression ``node`` to be one (``None``: it never is
        one). Iterative: operands of a long sum nest as deep as the sum is long."""
        required: set[str] = set()
        stack = [node]
        while stack:
            step = self._int_step(stack.pop())
            if step is False:
                return None
            if step is True:
                continue
            if isinstance(step, str):
                required.add(step)
            else:
                stack.extend(reversed(step))
        return required

    def _int_step(self, node: Node) -> bool | str | list[Node]:
        """One level of :meth:`is_int`: ``True``/``False``, a name that must be an integer, or the
        sub-expressions that must all be integers."""
        p, lang, t = self.parsed, self.language, node.type
        if _int_literal(node, lang):
            return True
        if t == "identifier":
            return p.text(node)
        if t == "parenthesized_expression":
            inner = [c for c in node.named_children if c.type not in COMMENTS]
            return inner if len(inner) == 1 else False
        if t in ("unary_expression", "unary_operator"):
            op = node.child_by_field_name("operator")
            arg = node.child_by_field_name("argument") or node.child_by_field_name("operand")
            return [arg] if op is not None and op.type in ("-", "+", "~") and arg is not None else False
        if t in ("binary_expression", "binary_operator"):
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is None or left is None or right is None:
                return False
            ops = INT_OPS | ({"/"} if lang in ("c", "java", "go") else set()) | ({"//"} if lang == "python" else set())
            if lang == "javascript":
                ops = ops - {"/", "%"}  # 1 % 0 is NaN
            return [left, right] if op.type in ops else False
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
    """The single type spelling under which ``name`` is declared in a C/Java snippet (else None).

    Every declaration of the snippet is read once and kept in ``parsed.analyses``: callers ask
    per candidate, and a query of the whole tree per question made them quadratic."""
    index = parsed.analyses.get("declared_types")
    if index is None:
        index = parsed.analyses["declared_types"] = {}
        for node in nodes_of_types(parsed.root, parsed.language, _DECLARATIONS):
            type_node = node.child_by_field_name("type")
            for decl in node.children_by_field_name("declarator") or [node]:
                n = decl.child_by_field_name("name")
                if n is not None and type_node is not None:
                    index.setdefault(parsed.text(n), set()).add(
                        parsed.text(type_node) + ("[]" if decl.child_by_field_name("dimensions") else ""))
    found = index.get(name, ())
    return next(iter(found)) if len(found) == 1 else None
