"""Control-flow family: loops (``for_to_while``, ``while_to_for``, ``loop_guard_negation``) and branches
(``if_else_swap``, ``else_if_to_nested``, ``nested_to_else_if``, ``switch_to_if``, ``ternary_to_if``)."""
