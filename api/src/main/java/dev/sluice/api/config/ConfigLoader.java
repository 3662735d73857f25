package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and writes the sidecar configuration document. YAML is the native form and JSON is accepted
 * too. Every problem is reported with the path of the field.
 *
 * <p>How strictly a document is read is a property of the document, not of where it came from: a document whose
 * {@code version} is at most {@link SidecarConfig#DOCUMENT_VERSION} (every hand-written file, which has none) is read
 * strictly, and an unknown field is an error (a misspelt field would otherwise be silently ignored). A document with a
 * higher {@code version} was written by a newer operator, which may add fields this build does not know: it is read
 * leniently, each unknown field is skipped and its path recorded ({@link Parsed#ignoredFields}), and everything
 * known is read and validated as usual. Refusing it instead would make every sidecar of the namespace refuse its
 * configuration the moment the operator is upgraded ahead of them.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // Else a number is taken for the enum constant at that index: grpcRetryOn: [14] would read as DATA_LOSS.
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    private static final ObjectReader STRICT = YAML.readerFor(SidecarConfig.class);
    private static final ObjectReader RESOURCES = YAML.readerFor(new TypeReference<List<RenderedResource>>() { })
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    /**
     * A document as read: the configuration, and the paths of the fields a lenient reading skipped (e.g.
     * {@code policies[0].rules[1].newThing}), sorted; empty for a strict reading.
     */
    public record Parsed(SidecarConfig config, List<String> ignoredFields) {
        public Parsed {
            ignoredFields = ignoredFields.stream().sorted().distinct().toList();
        }

        /** Whether the document was written for a newer format than this build reads (and so read leniently). */
        public boolean newerFormat() {
            return config.effectiveVersion() > SidecarConfig.DOCUMENT_VERSION;
        }
    }

    /**
     * What a document says about itself, read from it however wrong the rest is: its {@code generation} and
     * {@code version} (null when absent or not whole numbers) and the {@code resources} rendered into it (empty when
     * absent or unreadable). A sidecar reports them for a document it refused, so that the operator can tell which
     * resources' generations were refused.
     */
    public record Header(Long generation, Integer version, List<RenderedResource> resources) {
        /** What is known of no document, or of one that is not a mapping. */
        public static final Header NONE = new Header(null, null, List.of());

        public Header {
            resources = resources == null ? List.of() : List.copyOf(resources);
        }
    }

    private ConfigLoader() {
    }

    /** Parses and validates a document; the result is safe to enforce. */
    public static SidecarConfig parse(String text) throws InvalidConfigException {
        return read(text).config();
    }

    /** Parses and validates a document, strictly or leniently by its {@code version}; the configuration is safe to enforce. */
    public static Parsed read(String text) throws InvalidConfigException {
        Parsed parsed = readUnvalidated(text);
        List<FieldError> errors = ConfigValidator.validate(parsed.config());
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        return parsed;
    }

    public static SidecarConfig load(Path file) throws InvalidConfigException {
        return read(file).config();
    }

    /** Reads, parses and validates a file, strictly or leniently by its {@code version}. */
    public static Parsed read(Path file) throws InvalidConfigException {
        try {
            return read(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidConfigException(List.of(new FieldError("", "cannot read " + file + ": " + e.getMessage())));
        }
    }

    /** Parses a document without semantic validation, reporting only syntax and type errors. */
    public static SidecarConfig parseUnvalidated(String text) throws InvalidConfigException {
        return readUnvalidated(text).config();
    }

    /** Parses a document, strictly or leniently by its {@code version}, without semantic validation. */
    public static Parsed readUnvalidated(String text) throws InvalidConfigException {
        JsonNode tree = tree(text);
        try {
            if (!newerFormat(tree)) {
                return new Parsed(STRICT.readValue(tree), List.of());
            }
            IgnoredFields ignored = new IgnoredFields();
            SidecarConfig config = STRICT.without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).withHandler(ignored).readValue(tree);
            return new Parsed(config, ignored.paths);
        } catch (JsonMappingException e) {
            // The text is valid YAML by now (it is a tree): a reading problem underneath is the value's, such as a
            // number out of its field's range.
            String problem = e.getCause() instanceof JsonProcessingException cause ? cause.getOriginalMessage() : describe(e);
            throw new InvalidConfigException(List.of(new FieldError(path(e), problem)));
        } catch (IOException e) {
            throw new InvalidConfigException(List.of(new FieldError("", "cannot be read: " + e.getMessage())));
        }
    }

    /** The document's header; never fails (see {@link Header}). */
    public static Header header(String text) {
        JsonNode tree;
        try {
            tree = tree(text);
        } catch (InvalidConfigException e) {
            return Header.NONE;
        }
        if (!tree.isObject()) {
            return Header.NONE;
        }
        JsonNode generation = tree.path("generation");
        JsonNode version = tree.path("version");
        List<RenderedResource> resources = List.of();
        if (tree.path("resources").isArray()) {
            try {
                resources = RESOURCES.readValue(tree.path("resources"));
            } catch (IOException e) {
                // Unreadable: reported as none, the document's errors say why.
            }
        }
        return new Header(generation.canConvertToLong() && generation.isIntegralNumber() ? generation.longValue() : null,
                version.isIntegralNumber() && version.canConvertToInt() ? version.intValue() : null, resources);
    }

    private static JsonNode tree(String text) throws InvalidConfigException {
        if (text == null || text.isBlank()) {
            throw new InvalidConfigException(List.of(new FieldError("", "the configuration document is empty")));
        }
        try {
            JsonNode tree = YAML.readTree(text);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                throw new InvalidConfigException(List.of(new FieldError("", "the configuration document is empty")));
            }
            return tree;
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(List.of(syntaxError(e)));
        }
    }

    /**
     * Whether the document declares a format newer than this build's. A {@code version} that is not a whole number (or
     * not one of {@code int}'s) is read strictly, where it is refused with its field.
     */
    private static boolean newerFormat(JsonNode tree) {
        JsonNode version = tree.path("version");
        return version.isIntegralNumber() && version.canConvertToInt() && version.intValue() > SidecarConfig.DOCUMENT_VERSION;
    }

    /** Skips each unknown field of a lenient reading and records its path. */
    private static final class IgnoredFields extends DeserializationProblemHandler {
        private final List<String> paths = new ArrayList<>();

        @Override
        public boolean handleUnknownProperty(DeserializationContext context, JsonParser parser, JsonDeserializer<?> deserializer,
                                             Object beanOrClass, String propertyName) throws IOException {
            // The parser is on the field's value; on an object or array it has entered it already.
            JsonStreamContext object = parser.getParsingContext();
            if (parser.currentToken() == JsonToken.START_OBJECT || parser.currentToken() == JsonToken.START_ARRAY) {
                object = object.getParent();
            }
            String where = pathOf(object);
            paths.add(where.isEmpty() ? propertyName : where + "." + propertyName);
            parser.skipChildren();
            return true;
        }

        /** The path of the object a context reads, e.g. {@code policies[0].rules[1]}. */
        private static String pathOf(JsonStreamContext context) {
            StringBuilder path = new StringBuilder();
            for (JsonStreamContext child = context; child != null && child.getParent() != null; child = child.getParent()) {
                JsonStreamContext parent = child.getParent();
                if (parent.inArray()) {
                    path.insert(0, "[" + parent.getCurrentIndex() + "]");
                } else if (parent.inObject() && parent.getCurrentName() != null) {
                    // A record's unknown fields are replayed from a buffer after the record is read, whose
                    // root context sits between the record and its parent without a name of its own.
                    path.insert(0, "." + parent.getCurrentName());
                }
            }
            return !path.isEmpty() && path.charAt(0) == '.' ? path.substring(1) : path.toString();
        }
    }

    public static String toYaml(SidecarConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectMapper json() {
        return JSON;
    }

    /** One line for a syntax error: where it is and what the parser expected. */
    private static FieldError syntaxError(JsonProcessingException e) {
        String problem = e.getOriginalMessage();
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblem() != null) {
            problem = yaml.getProblem();
        }
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
        return new FieldError("", "not valid YAML or JSON" + where + ": " + problem.lines().findFirst().orElse(problem));
    }

    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            } else if (reference.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            }
        }
        return path.toString();
    }

    private static String describe(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            String known = unknown.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
            return "unknown field '" + unknown.getPropertyName() + "' (known fields: " + known + ")";
        }
        if (e instanceof InvalidFormatException format) {
            Class<?> target = format.getTargetType();
            if (target != null && target.isEnum()) {
                String allowed = Arrays.stream(target.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "));
                return "'" + format.getValue() + "' is not one of " + allowed;
            }
            return "'" + format.getValue() + "' is not a valid " + simpleTypeName(target);
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return "expected " + simpleTypeName(mismatch.getTargetType());
        }
        return e.getOriginalMessage();
    }

    private static String simpleTypeName(Class<?> type) {
        if (type == null) {
            return "value";
        }
        if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "an object (" + type.getSimpleName() + ")";
    }
}
