"""C macros as the transformations must see them: opaque text that the snippet's parse does not show.

tree-sitter parses ``if (x > LOW)`` as a comparison of ``x`` with the identifier ``LOW``; with
``#define LOW 6 & 3`` the compiler sees ``x > 6 & 3``, i.e. ``(x > 6) & 3``. Reordering or
regrouping around such a name (``LOW < x``, ``(LOW)``) changes what the program computes. Likewise
``#define SHOW(v) printf(#v "=%d\\n", v)`` turns the NAME of its argument into data: renaming the
variable passed to ``SHOW`` changes the output.

This module answers, per snippet, three questions:

* :meth:`MacroTable.opaque` — is this identifier (or call) a macro whose expansion could regroup
  with the operators around it? Macros the snippet or its context defines are judged from their
  body (a single token, a fully parenthesised body or a call-like body is a value; anything else
  is *bare*). A name defined nowhere that looks like a macro (ALL_CAPS, not a well-known
  single-token constant) is treated as bare when no context was given: a function given alone
  cannot see its ``#define`` — such a refusal is recorded as *for lack of context*.
* :func:`bare_macro_within` — does an expression contain a bare macro that is not enclosed in
  brackets (parentheses, an argument list, a subscript) inside that expression? Only then can
  moving or wrapping the expression regroup the macro's expansion.
* :meth:`MacroTable.data_arguments` — which identifiers of a snippet are data of a macro: passed
  where the macro stringifies (``#p``), pastes (``p ## q``), uses as a member name (``s.p``,
  ``s->p``) or declares (``int p``) its parameter; every identifier inside the arguments of an
  unknown macro-looking call when no context was given; and names that token pasting forms.

With a context (the enclosing file or translation unit, see :mod:`metacompress_eval.code.context`)
every macro is known and nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from tree_sitter import Node

if TYPE_CHECKING:  # pragma: no cover
    from metacompress_eval.code.languages import ParsedCode

# A backslash line continuation, before an LF, a CRLF or a lone CR (all line breaks to a C compiler).
_CONTINUATION = re.compile(r"\\(?:\r\n?|\n)")
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    | (?P<number>\.?\d[\w.]*(?:[eEpP][+-][\w.]*)*)
    | (?P<ident>[A-Za-z_]\w*)
    | (?P<punct>\#\#|\#|->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|\.\.\.|[^\s\w])
    )""",
    re.X,
)
_MACRO_LIKE = re.compile(r"[A-Z_][A-Z0-9_]*")
_EXPRESSION_KEYWORDS = frozenset({"return", "sizeof", "case", "else", "do", "_Alignof", "alignof"})
# Punctuators after which a parameter is an ordinary operand (not a member name, not pasted).
_NOT_OPERAND_BEFORE = frozenset({"#", "##", ".", "->"})

# Well-known object-like names whose expansion is a single token or parenthesised and mentions no
# local (libc, POSIX, Windows API constants, Juliet's test-case support): values, never bare.
KNOWN_VALUE_MACROS = frozenset({
    "NULL", "EOF", "TRUE", "FALSE", "BUFSIZ", "FILENAME_MAX", "PATH_MAX", "RAND_MAX", "CHAR_BIT", "CHAR_MAX",
    "CHAR_MIN", "SCHAR_MAX", "SCHAR_MIN", "UCHAR_MAX", "SHRT_MAX", "SHRT_MIN", "USHRT_MAX", "INT_MAX", "INT_MIN",
    "UINT_MAX", "LONG_MAX", "LONG_MIN", "ULONG_MAX", "LLONG_MAX", "LLONG_MIN", "ULLONG_MAX", "SIZE_MAX",
    "SSIZE_MAX", "PTRDIFF_MAX", "PTRDIFF_MIN", "INTMAX_MAX", "INT8_MAX", "INT16_MAX", "INT32_MAX", "INT64_MAX",
    "INT8_MIN", "INT16_MIN", "INT32_MIN", "INT64_MIN", "UINT8_MAX", "UINT16_MAX", "UINT32_MAX", "UINT64_MAX",
    "FLT_MAX", "FLT_MIN", "DBL_MAX", "DBL_MIN", "FLT_EPSILON", "DBL_EPSILON", "EXIT_SUCCESS", "EXIT_FAILURE",
    "SEEK_SET", "SEEK_CUR", "SEEK_END", "STDIN_FILENO", "STDOUT_FILENO", "STDERR_FILENO", "O_RDONLY",
    "O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "AF_INET", "SOCK_STREAM", "IPPROTO_TCP",
    "INADDR_ANY", "INVALID_SOCKET", "SOCKET_ERROR", "TCP_PORT", "LISTEN_BACKLOG", "IP_ADDRESS", "WEOF",
    "WCHAR_MAX", "WCHAR_MIN", "HUGE_VAL", "INFINITY", "NAN", "M_PI", "M_E", "ENOMEM", "EINVAL", "ENOENT",
    "EAGAIN", "EINTR", "ERANGE", "EEXIST", "EACCES", "EPERM", "SIGINT", "SIGTERM", "SIGKILL", "SIG_IGN",
    "SIG_DFL", "GLOBAL_CONST_TRUE", "GLOBAL_CONST_FALSE", "GLOBAL_CONST_FIVE", "CLOCKS_PER_SEC",
    "MB_CUR_MAX", "MB_LEN_MAX", "L_tmpnam", "TMP_MAX", "FOPEN_MAX", "S_IREAD", "S_IWRITE", "S_IRUSR", "S_IWUSR",
    # Juliet test-case conventions: static const globals and string constants of its support files.
    "STATIC_CONST_TRUE", "STATIC_CONST_FALSE", "STATIC_CONST_FIVE", "COMMAND_INT_PATH", "COMMAND_INT",
    "COMMAND_ARG1", "COMMAND_ARG2", "COMMAND_ARG3", "FULL_COMMAND", "HELLO_STRING", "SRC_STRING", "SRC_STR",
    "FILENAME", "ENV_VARIABLE", "SENTENCE", "GETENV",
    # Windows API constants (numeric or string values).
    "NO_ERROR", "ERROR_SUCCESS", "INVALID_HANDLE_VALUE", "_P_WAIT", "LOGON32_LOGON_NETWORK",
    "LOGON32_PROVIDER_DEFAULT", "PROV_RSA_AES", "PROV_RSA_FULL", "MS_ENH_RSA_AES_PROV", "MS_ENHANCED_PROV",
    "CALG_SHA_256", "CALG_AES_256", "CALG_MD5", "CALG_SHA1", "CRYPT_NEWKEYSET", "CRYPT_VERIFYCONTEXT",
    "GENERIC_READ", "GENERIC_WRITE", "PIPE_TYPE_MESSAGE", "PIPE_READMODE_MESSAGE", "PIPE_WAIT",
    "PIPE_UNLIMITED_INSTANCES", "PIPE_ACCESS_DUPLEX", "FILE_ATTRIBUTE_NORMAL", "FILE_FLAG_FIRST_PIPE_INSTANCE",
    "NMPWAIT_USE_DEFAULT_WAIT", "KEY_WRITE", "KEY_READ", "HKEY_CURRENT_USER", "HKEY_LOCAL_MACHINE", "CP_ACP",
    "WC_COMPOSITECHECK", "LDAP_SUCCESS", "LDAP_NO_LIMIT", "LDAP_PORT", "LDAP_SCOPE_SUBTREE", "OPEN_EXISTING",
    "CREATE_ALWAYS", "FILE_SHARE_READ", "MAX_PATH", "INFINITE", "WAIT_OBJECT_0", "EILSEQ", "EDOM", "EBADF", "EIO",
    "ENOSPC", "EPIPE", "EWOULDBLOCK",
})
# Well-known function-like macros that behave like functions: their arguments are ordinary
# expressions and their expansion is parenthesised (or a function name).
KNOWN_FUNCTION_MACROS = frozenset({
    "SNPRINTF", "ALLOCA", "RAND32", "RAND64", "FD_SET", "FD_ZERO", "FD_ISSET", "FD_CLR", "WIFEXITED",
    "WEXITSTATUS", "WIFSIGNALED", "WTERMSIG", "S_ISDIR", "S_ISREG", "CLOSE_SOCKET", "FOPEN", "OPEN", "CLOSE",
    "GETENV", "STRCPY", "STRCAT", "STRNCPY", "STRNCAT", "STRLEN", "MEMCPY", "MEMSET", "PRINTF", "FPRINTF",
    # Juliet's aliases of library functions, and Windows helper macros.
    "MAKEWORD", "POPEN", "PCLOSE", "SYSTEM", "PUTENV", "EXECV", "EXECVP", "EXECL", "EXECLP", "SLEEP", "RENAME",
    "PUTS", "TEXT", "TMPNAM", "REMOVE", "MKSTEMP", "UNLINK", "WRITE", "FDOPEN", "TEMPNAM", "MKTEMP", "ACCESS",
    "LOWORD", "HIWORD", "FAILED", "SUCCEEDED",
})


def tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens of a macro body (kinds: string, number, ident, punct)."""
    out = []
    position = 0
    text = _CONTINUATION.sub(" ", text)
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "punct"
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _close(toks: list[tuple[str, str]], start: int) -> int:
    """Index of the bracket closing the one at ``start`` (or -1)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener = toks[start][1]
    depth = 0
    for index in range(start, len(toks)):
        text = toks[index][1]
        if text == opener:
            depth += 1
        elif text == pairs[opener]:
            depth -= 1
            if depth == 0:
                return index
    return -1


def is_value_body(body: str) -> bool:
    """Whether a macro body expands to something that behaves as one operand wherever the macro
    stands: a single token, a fully parenthesised expression, a postfix chain (``f(x)``,
    ``a[i]``, ``p->x``), or a unary operator applied to one of these (``-1``, ``~0``, ``!x``)."""
    toks = tokens(body)
    if not toks:
        return False
    index = 0
    while index < len(toks) and toks[index][1] in ("-", "+", "!", "~") and index + 1 < len(toks):
        index += 1
    if toks[index][0] in ("ident", "number", "string"):
        index += 1
        while index < len(toks) and toks[index][0] == "string" and toks[index - 1][0] == "string":
            index += 1  # adjacent string literals are one literal
    elif toks[index][1] == "(":
        end = _close(toks, index)
        if end < 0:
            return False
        index = end + 1
    else:
        return False
    # Postfix: calls, subscripts, member access.
    while index < len(toks):
        text = toks[index][1]
        if text in ("(", "["):
            end = _close(toks, index)
            if end < 0:
                return False
            index = end + 1
        elif text in (".", "->") and index + 1 < len(toks) and toks[index + 1][0] == "ident":
            index += 2
        else:
            return False
    return True


@dataclass(frozen=True)
class MacroDefinition:
    """One ``#define``: ``params`` is ``None`` for an object-like macro."""

    name: str
    params: tuple[str, ...] | None
    body: str

    @property
    def bare(self) -> bool:
        """Whether the expansion can regroup with the operators around the macro."""
        return not is_value_body(self.body)

    def data_parameters(self) -> frozenset[int]:
        """Indices of the parameters whose argument is used as a NAME (stringified, pasted, a
        member name, or declared) rather than as a value."""
        if not self.params:
            return frozenset()
        toks = tokens(self.body)
        data: set[int] = set()
        for index, (kind, text) in enumerate(toks):
            if kind != "ident" or text not in self.params:
                continue
            position = self.params.index(text)
            before = toks[index - 1] if index > 0 else None
            after = toks[index + 1] if index + 1 < len(toks) else None
            if before is not None and before[1] in _NOT_OPERAND_BEFORE:
                data.add(position)
            elif after is not None and after[1] == "##":
                data.add(position)
            elif before is not None and before[0] == "ident" and before[1] not in _EXPRESSION_KEYWORDS:
                data.add(position)  # ``int p``: the macro declares a variable named by its argument
            elif before is not None and before[1] == "*" and index > 1 and toks[index - 2][0] == "ident" \
                    and toks[index - 2][1] not in _EXPRESSION_KEYWORDS and len(toks) > index + 1 \
                    and toks[index + 1][1] in ("=", ";", ",", "["):
                data.add(position)  # ``int *p = ...``
        return frozenset(data)

    @property
    def pure(self) -> bool:
        """Whether the body can have no side effect: no call, assignment, increment or decrement."""
        toks = tokens(self.body)
        for index, (kind, text) in enumerate(toks):
            if text in ("=", "++", "--") or (text.endswith("=") and text not in ("==", "!=", "<=", ">=")):
                return False
            if text == "(" and index > 0 and toks[index - 1][0] == "ident" and toks[index - 1][1] != "sizeof":
                return False
        return True

    @property
    def pastes(self) -> bool:
        """Whether the body pastes tokens (``##``): names are formed that the snippet never spells."""
        return any(text == "##" for _, text in tokens(self.body))

    def words(self) -> set[str]:
        """Identifiers the body mentions (other than its parameters)."""
        return {text for kind, text in tokens(self.body) if kind == "ident" and text not in (self.params or ())}

    def pasted_names(self, arguments: list[str]) -> set[str]:
        """Identifiers an invocation with ``arguments`` forms by ``##`` (best effort)."""
        if not self.pastes or self.params is None:
            return set()
        toks = tokens(self.body)
        values = dict(zip(self.params, arguments))
        pieces: list[str] = []
        out: set[str] = set()
        for index, (kind, text) in enumerate(toks):
            value = values.get(text, text) if kind == "ident" else text
            if text == "##":
                continue
            if index > 0 and toks[index - 1][1] == "##" and pieces:
                pieces[-1] += value.strip()
            else:
                pieces.append(value.strip())
        for piece in pieces:
            out.update(re.findall(r"[A-Za-z_]\w*", piece))
        return out


def looks_like_macro(name: str) -> bool:
    """ALL_CAPS names (at least two characters) are conventionally macros."""
    return len(name) >= 2 and _MACRO_LIKE.fullmatch(name) is not None and any(c.isalpha() for c in name)


def definitions_in(parsed: "ParsedCode", root: Node | None = None) -> dict[str, MacroDefinition]:
    """The ``#define``s in a parsed C text (later definitions win, as for the preprocessor)."""
    from metacompress_eval.code.languages import nodes_of_types

    found: dict[str, MacroDefinition] = {}
    if root is None and not parsed.offset and b"#" not in parsed.data and b"%:" not in parsed.data:
        return found  # no directive without a '#' (or its digraph): the query's walk is not needed
    for node in nodes_of_types(root or parsed.root, "c", frozenset({"preproc_def", "preproc_function_def"})):
        name = node.child_by_field_name("name")
        if name is None:
            continue
        value = node.child_by_field_name("value")
        text = value.text.decode("utf-8", "replace") if value is not None and value.text is not None else ""
        params = None
        if node.type == "preproc_function_def":
            plist = node.child_by_field_name("parameters")
            params = tuple(c.text.decode("utf-8", "replace") for c in (plist.named_children if plist else [])
                           if c.type == "identifier")
            if plist is not None and any(c.type == "..." for c in plist.children):
                params = params + ("__VA_ARGS__",)
        found[name.text.decode("utf-8", "replace")] = MacroDefinition(
            name.text.decode("utf-8", "replace"), params, text.strip())
    return found


@dataclass
class MacroTable:
    """What is known about macros for one snippet: its own ``#define``s, those of its context,
    the names its context declares otherwise (globals, functions, types), and whether a context
    was given at all (``complete``)."""

    definitions: dict[str, MacroDefinition] = field(default_factory=dict)
    declared: frozenset[str] = frozenset()
    complete: bool = False
    guessed: set[str] = field(default_factory=set)  # names treated as macros without knowing

    def definition(self, name: str) -> MacroDefinition | None:
        return self.definitions.get(name)

    def data_parameters(self, name: str, _seen: frozenset[str] = frozenset()) -> frozenset[int]:
        """:meth:`MacroDefinition.data_parameters` of macro ``name``, also through the macros its
        body passes a parameter to (``#define XSTR(v) STR(v)`` with ``#define STR(v) #v``)."""
        definition = self.definitions.get(name)
        if definition is None or definition.params is None:
            return frozenset()
        data = set(definition.data_parameters())
        toks = tokens(definition.body)
        for index, (kind, text) in enumerate(toks[:-1]):
            if kind != "ident" or toks[index + 1][1] != "(" or text in _seen or text == name:
                continue
            inner = self.definitions.get(text)
            end = _close(toks, index + 1)
            if end < 0:
                continue
            arguments: list[list[tuple[str, str]]] = [[]]
            depth = 0
            for token in toks[index + 2:end]:
                if token[1] in ("(", "[", "{"):
                    depth += 1
                elif token[1] in (")", "]", "}"):
                    depth -= 1
                if token[1] == "," and depth == 0:
                    arguments.append([])
                else:
                    arguments[-1].append(token)
            if inner is not None:
                inner_data = self.data_parameters(text, _seen | {name})
            elif not self.complete and looks_like_macro(text) and text not in KNOWN_FUNCTION_MACROS:
                inner_data = frozenset(range(len(arguments)))  # an unknown macro may use any as a name
            else:
                continue
            for position, argument in enumerate(arguments):
                if position in inner_data or (inner is not None and inner.params
                                              and inner.params[-1] == "__VA_ARGS__"
                                              and len(inner.params) - 1 in inner_data
                                              and position >= len(inner.params) - 1):
                    for kind_, text_ in argument:
                        if kind_ == "ident" and text_ in definition.params:
                            data.add(definition.params.index(text_))
        return frozenset(data)

    def is_macro(self, name: str, local: bool = False) -> bool:
        """Whether ``name`` may be a macro (defined one, or an unknown ALL_CAPS name without context)."""
        if name in self.definitions:
            return True
        if local or name in self.declared or self.complete or name in KNOWN_VALUE_MACROS:
            return False
        return looks_like_macro(name)

    def opaque(self, name: str, call: bool = False, local: bool = False) -> bool:
        """Whether the expansion of ``name`` (an identifier, or the callee of a call when ``call``)
        may regroup with the operators around it. Records guesses in :attr:`guessed`."""
        definition = self.definitions.get(name)
        if definition is not None:
            if call != (definition.params is not None):
                return False  # a function-like macro named without a call is not expanded
            return definition.bare or not definition.pure
        if local or name in self.declared or self.complete:
            return False
        if call and name in KNOWN_FUNCTION_MACROS:
            return False
        if not call and name in KNOWN_VALUE_MACROS:
            return False
        if looks_like_macro(name):
            self.guessed.add(name)
            return True
        return False


def table_for(parsed: "ParsedCode") -> MacroTable:
    """The :class:`MacroTable` of a parsed C snippet (its own defines plus its context's; cached)."""
    cached = parsed.analyses.get("macro_table")
    if cached is not None:
        return cached
    context = getattr(parsed, "context", None)
    definitions: dict[str, MacroDefinition] = {}
    declared: frozenset[str] = frozenset()
    if context is not None:
        definitions.update(context.macros)
        declared = frozenset(context.names)
    definitions.update(definitions_in(parsed))
    table = MacroTable(definitions, declared, complete=context is not None)
    parsed.analyses["macro_table"] = table
    return table


_ENCLOSING = frozenset({"parenthesized_expression", "argument_list", "initializer_list", "compound_statement",
                        "compound_literal_expression", "sizeof_expression", "alignof_expression"})


def _enclosed(node: Node, limit: Node) -> bool:
    """Whether a bracket pair inside ``limit`` (``limit`` itself included, ``node`` excluded)
    encloses ``node``."""
    current = node.parent
    previous = node
    while current is not None:
        if current.type in _ENCLOSING:
            if current.type != "sizeof_expression" or previous.type == "parenthesized_expression":
                return True
        if current.type == "subscript_expression" and previous == current.child_by_field_name("index"):
            return True
        if current.type == "call_expression" and previous == current.child_by_field_name("arguments"):
            return True
        if current == limit:
            return False
        previous, current = current, current.parent
    return False


@lru_cache(maxsize=None)
def _declarations_query():
    from tree_sitter import Query

    from metacompress_eval.code.languages import ts_language

    return Query(ts_language("c"), "[(declaration) (parameter_declaration) (function_definition) (type_definition) "
                                   "(enumerator) (field_declaration)] @declaration (parameter_list) @parameters")


def local_names(parsed: "ParsedCode") -> frozenset[str]:
    """Names the snippet itself declares (so they are not macros): variables, parameters,
    functions, types, enumerators."""
    cached = parsed.analyses.get("local_names")
    if cached is not None:
        return cached
    from tree_sitter import QueryCursor

    names: set[str] = set()
    # One query for the declarations and the parameter lists (each query walks the whole tree); the
    # names form a set, so the order the nodes come in does not matter.
    found = QueryCursor(_declarations_query()).captures(parsed.root)
    for node in found.get("declaration", ()):
        if node.type == "enumerator":
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(name.text.decode("utf-8", "replace"))
            continue
        stack = list(node.children_by_field_name("declarator"))
        while stack:
            current = stack.pop()
            if current.type in ("identifier", "type_identifier", "field_identifier"):
                names.add(current.text.decode("utf-8", "replace"))
                break
            inner = current.child_by_field_name("declarator")
            if inner is not None:
                stack.append(inner)
    # K&R identifier lists name parameters too.
    for node in found.get("parameters", ()):
        names.update(c.text.decode("utf-8", "replace") for c in node.named_children if c.type == "identifier")
    result = frozenset(names)
    parsed.analyses["local_names"] = result
    return result


_UNKNOWN_PARENT = object()


def bare_macros(parsed: "ParsedCode", node: Node, parent=_UNKNOWN_PARENT) -> list[Node]:
    """The macro uses inside ``node`` (``node`` included) whose expansion may regroup with the
    operators around them and that no bracket pair inside ``node`` encloses. For a function-like
    macro the whole call is returned. Empty for languages other than C.

    ``parent``: ``node``'s parent when the caller knows it (``node.parent`` costs the nesting
    depth; the parents of the nodes below are known from the walk)."""
    if parsed.language != "c":
        return []
    table = table_for(parsed)
    declared = local_names(parsed)
    found = []
    stack = [(node, parent)]
    while stack:
        current, above = stack.pop()
        t = current.type
        if t == "identifier":
            name = current.text.decode("utf-8", "replace")
            if above is _UNKNOWN_PARENT:
                above = current.parent
            is_callee = above is not None and above.type == "call_expression" and \
                above.child_by_field_name("function") == current
            if is_callee:
                if table.opaque(name, call=True, local=name in declared):
                    target = above
                    if target == node or not _enclosed(target, node):
                        found.append(target)
            elif table.opaque(name, local=name in declared):
                if current == node or not _enclosed(current, node):
                    found.append(current)
        elif t in ("field_identifier", "string_literal", "char_literal", "number_literal", "comment"):
            continue
        stack.extend((child, current) for child in current.children)
    return found


def bare_macro_within(parsed: "ParsedCode", node: Node) -> bool:
    """Whether moving, mirroring or wrapping ``node`` could regroup a macro expansion in it."""
    return bool(bare_macros(parsed, node))


def guessed_only(parsed: "ParsedCode", nodes: Iterable[Node]) -> bool:
    """Whether every bare macro in ``nodes`` is an unknown name (refused for lack of context)."""
    table = table_for(parsed)
    for node in nodes:
        for macro in bare_macros(parsed, node):
            name_node = macro.child_by_field_name("function") if macro.type == "call_expression" else macro
            if name_node is None or name_node.text.decode("utf-8", "replace") in table.definitions:
                return False
    return True


class MacroGuard:
    """Counts the candidate sites a transformation gives up because of bare macros, and whether
    each was given up only for an unknown name (which a context would settle).

    ``guard.blocks(parsed, node, ...)`` is true when moving, mirroring or wrapping one of the nodes
    could regroup a macro expansion; when a transformation ends without a candidate,
    :attr:`lacks_context` says whether the context would have helped and :meth:`explain` adds the
    reason to its "not applicable" message.
    """

    def __init__(self) -> None:
        self.refused = 0
        self.refused_for_context = 0

    def blocks(self, parsed: "ParsedCode", *nodes: Node | None, parent=_UNKNOWN_PARENT) -> bool:
        """``parent``: the parent of every one of ``nodes``, when the caller knows it."""
        present = [n for n in nodes if n is not None]
        if parsed.language != "c" or not any(bare_macros(parsed, n, parent) for n in present):
            return False
        self.refused += 1
        if guessed_only(parsed, present):
            self.refused_for_context += 1
        return True

    @property
    def lacks_context(self) -> bool:
        """Every refusal was for an unknown ALL_CAPS name only."""
        return self.refused > 0 and self.refused == self.refused_for_context

    def explain(self, reason: str) -> str:
        if not self.refused:
            return reason
        if self.lacks_context:
            return (f"{reason} ({self.refused} site(s) involve names that may be macros with bare bodies; "
                    "give the enclosing file as context to decide)")
        return f"{reason} ({self.refused} site(s) involve macros with bare bodies)"


__all__ = ["KNOWN_FUNCTION_MACROS", "KNOWN_VALUE_MACROS", "MacroDefinition", "MacroGuard", "MacroTable", "bare_macro_within",
           "bare_macros", "definitions_in", "guessed_only", "is_value_body", "local_names", "looks_like_macro",
           "table_for", "tokens"]
