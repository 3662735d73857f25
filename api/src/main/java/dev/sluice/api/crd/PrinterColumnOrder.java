package dev.sluice.api.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Puts the printer columns of the generated CRDs in the order their classes declare them. kubectl
 * shows columns in the CRD's order, and crd-generator 7.5.2 sorts them by JSONPath, which put AGE
 * second. Run by the build right after the generator ({@code api/pom.xml}, phase process-classes) on
 * {@code target/classes/META-INF/fabric8}; it edits the text in place so the rest of the generator's
 * output stays byte for byte what it wrote.
 */
public final class PrinterColumnOrder {
    private static final String MODEL_PACKAGE = "dev.sluice.api.v1alpha1.";
    private static final Pattern KIND = Pattern.compile("^ {4}kind: \"([A-Za-z0-9]+)\"$", Pattern.MULTILINE);
    private static final Pattern COLUMNS = Pattern.compile("^( *)(- )?additionalPrinterColumns:$");
    private static final Pattern NAME = Pattern.compile("^ *(- )?name: \"(.*)\"$");

    private PrinterColumnOrder() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: PrinterColumnOrder DIRECTORY (the generated CRDs)");
        }
        try (Stream<Path> files = Files.list(Path.of(args[0]))) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yml")).sorted().toList()) {
                String crd = Files.readString(file, StandardCharsets.UTF_8);
                String ordered = reorder(crd, declaredColumns(kindOf(crd, file)));
                if (!ordered.equals(crd)) {
                    Files.writeString(file, ordered, StandardCharsets.UTF_8);
                }
            }
        }
    }

    /** The column names of a model class, in declaration order (repeated annotations keep source order). */
    static List<String> declaredColumns(String kind) {
        try {
            Class<?> model = Class.forName(MODEL_PACKAGE + kind);
            return Arrays.stream(model.getAnnotationsByType(AdditionalPrinterColumn.class)).map(AdditionalPrinterColumn::name).toList();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("a CRD of kind " + kind + " has no class " + MODEL_PACKAGE + kind, e);
        }
    }

    /** {@code crd} with each {@code additionalPrinterColumns} list sorted by {@code declared}. */
    static String reorder(String crd, List<String> declared) {
        List<String> lines = crd.lines().toList();
        List<String> out = new ArrayList<>(lines.size());
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i++);
            out.add(line);
            Matcher columns = COLUMNS.matcher(line);
            if (!columns.matches()) {
                continue;
            }
            int keyColumn = columns.group(1).length() + (columns.group(2) == null ? 0 : 2);
            String itemStart = " ".repeat(keyColumn) + "- ";
            String itemRest = " ".repeat(keyColumn + 2);
            List<List<String>> items = new ArrayList<>();
            while (i < lines.size() && (lines.get(i).startsWith(itemStart) || lines.get(i).startsWith(itemRest) && !items.isEmpty())) {
                if (lines.get(i).startsWith(itemStart)) {
                    items.add(new ArrayList<>());
                }
                items.get(items.size() - 1).add(lines.get(i++));
            }
            items.sort(Comparator.comparingInt(item -> position(item, declared)));
            items.forEach(out::addAll);
        }
        return String.join("\n", out) + (crd.endsWith("\n") ? "\n" : "");
    }

    private static int position(List<String> item, List<String> declared) {
        for (String line : item) {
            Matcher name = NAME.matcher(line);
            if (name.matches()) {
                int position = declared.indexOf(name.group(2));
                if (position < 0) {
                    throw new IllegalStateException("printer column " + name.group(2) + " is not declared on the class: " + declared);
                }
                return position;
            }
        }
        throw new IllegalStateException("a printer column without a name: " + item);
    }

    private static String kindOf(String crd, Path file) {
        Matcher kind = KIND.matcher(crd);
        if (!kind.find()) {
            throw new UncheckedIOException(new IOException(file + " has no spec.names.kind"));
        }
        return kind.group(1);
    }
}
