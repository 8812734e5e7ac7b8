"""Snippets offered in the probe's *Example* menu (``name → (language, task, code)``)."""

EXAMPLES: dict[str, tuple[str, str, str]] = {
    "C: unchecked strcpy (defect)": ("c", "defect", """int save_name(char *dst, const char *name) {
    char buffer[16];
    int count = 0;
    strcpy(buffer, name);
    for (int i = 0; buffer[i] != '\\0'; i++) {
        count++;
    }
    if (count > 8) {
        memcpy(dst, buffer, 8);
    } else {
        memcpy(dst, buffer, count);
    }
    return count;
}"""),
    "C: bounded copy (safe)": ("c", "defect", """int copy_values(int *dst, const int *src, int n, int cap) {
    int copied = 0;
    if (n > cap) {
        n = cap;
    }
    for (int i = 0; i < n; i++) {
        dst[i] = src[i];
        copied++;
    }
    return copied;
}"""),
    "C: off-by-one loop (defect)": ("c", "defect", """void clear(int *table, int size) {
    int index = 0;
    while (index <= size) {
        table[index] = 0;
        index++;
    }
}"""),
    "Java: sum of an array": ("java", "classification", """public int total(int[] values) {
    int sum = 0;
    for (int i = 0; i < values.length; i++) {
        sum += values[i];
    }
    if (sum < 0) {
        return 0;
    } else {
        return sum;
    }
}"""),
    "Python: parse a header": ("python", "classification", """def parse_header(line):
    parts = line.split(":", 1)
    if len(parts) != 2:
        return None
    else:
        key, value = parts
        return key.strip().lower(), value.strip()
"""),
}
