package dev.sluice.operator;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chart README's values table, computed from {@code values.yaml}: every key documented with a
 * {@code # --} comment (helm-docs' convention) is a row, with its dotted path, its default as written
 * in values.yaml (a block value on one line) and the comment. A key without such a comment is part
 * of its parent's row.
 */
final class ValuesTable {
    private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z][A-Za-z0-9_]*):(?: (.*))?$");

    private ValuesTable() {
    }

    record Row(String key, String defaultValue, String description) {
    }

    static List<Row> rows(String valuesYaml) {
        List<String> lines = valuesYaml.lines().toList();
        List<Row> rows = new ArrayList<>();
        List<String> path = new ArrayList<>();
        List<Integer> indents = new ArrayList<>();
        StringBuilder comment = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.strip();
            if (trimmed.startsWith("# --")) {
                comment = new StringBuilder(trimmed.substring(4).strip());
                continue;
            }
            if (trimmed.startsWith("#")) {
                if (comment != null) {
                    comment.append(' ').append(trimmed.substring(1).strip());
                }
                continue;
            }
            Matcher key = KEY.matcher(line);
            if (!key.matches()) {
                continue;
            }
            int indent = key.group(1).length();
            while (!indents.isEmpty() && indents.get(indents.size() - 1) >= indent) {
                indents.remove(indents.size() - 1);
                path.remove(path.size() - 1);
            }
            path.add(key.group(2));
            indents.add(indent);
            if (comment != null) {
                String inline = key.group(3) == null ? "" : key.group(3).strip();
                String value = inline.isEmpty() ? block(lines, i + 1, indent) : inline;
                rows.add(new Row(String.join(".", path), value, comment.toString()));
                comment = null;
            }
        }
        return rows;
    }

    /** A block value (the lines indented below key line {@code from - 1}) in YAML's flow style, on one line. */
    private static String block(List<String> lines, int from, int indent) {
        StringBuilder flow = new StringBuilder();
        List<Integer> open = new ArrayList<>();
        int i = from;
        for (; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            int lineIndent = line.length() - line.stripLeading().length();
            if (lineIndent <= indent) {
                break;
            }
            while (!open.isEmpty() && open.get(open.size() - 1) >= lineIndent) {
                open.remove(open.size() - 1);
                flow.append('}');
            }
            String entry = line.strip();
            if (flow.length() > 0 && flow.charAt(flow.length() - 1) != '{') {
                flow.append(", ");
            }
            if (entry.endsWith(":")) {
                flow.append(entry).append(" {");
                open.add(lineIndent);
            } else {
                flow.append(entry);
            }
        }
        while (!open.isEmpty()) {
            open.remove(open.size() - 1);
            flow.append('}');
        }
        return "{" + flow + "}";
    }

    /** The Markdown table. */
    static String markdown(List<Row> rows) {
        StringBuilder table = new StringBuilder("| Key | Default | Description |\n| --- | --- | --- |\n");
        for (Row row : rows) {
            table.append("| `").append(row.key()).append("` | `").append(row.defaultValue().replace("|", "\\|"))
                    .append("` | ").append(row.description().replace("|", "\\|")).append(" |\n");
        }
        return table.toString();
    }
}
