package dev.sluice.operator.monitoring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The samples of a Prometheus text exposition (a {@code /metrics} scrape): names and label sets, values left out. */
final class Exposition {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+\\S+.*$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    /** One series: its metric name and labels (sorted by name). */
    record Series(String name, Map<String, String> labels) {
        @Override
        public String toString() {
            return name + labels;
        }
    }

    private Exposition() {
    }

    static List<Series> parse(String text) {
        List<Series> series = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            series.add(new Series(sample.group(1), labels(sample.group(2) == null ? "" : sample.group(2))));
        }
        return series;
    }

    /** {@code a="1",b="2"} (a selector's or a sample's labels, without the braces) as a sorted map. */
    static Map<String, String> labels(String text) {
        Map<String, String> labels = new TreeMap<>();
        Matcher label = LABEL.matcher(text.trim());
        int end = 0;
        while (label.find() && label.start() == end) {
            labels.put(label.group(1), label.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
            end = label.end();
        }
        if (end != text.trim().length()) {
            throw new IllegalArgumentException("cannot read the labels " + text);
        }
        return labels;
    }

    /** {@code name{a="1"}} as a series. */
    static Series series(String selector) {
        int brace = selector.indexOf('{');
        if (brace < 0) {
            return new Series(selector.trim(), new LinkedHashMap<>());
        }
        return new Series(selector.substring(0, brace).trim(), labels(selector.substring(brace + 1, selector.lastIndexOf('}'))));
    }
}
