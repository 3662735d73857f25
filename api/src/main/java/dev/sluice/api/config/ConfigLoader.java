package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and writes the sidecar configuration document. YAML is the native form and JSON is accepted
 * too. Unknown fields are errors (a misspelt field would otherwise be silently ignored), and every
 * problem is reported with the path of the field.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private ConfigLoader() {
    }

    /** Parses and validates a document; the result is safe to enforce. */
    public static SidecarConfig parse(String text) throws InvalidConfigException {
        SidecarConfig config = parseUnvalidated(text);
        List<FieldError> errors = ConfigValidator.validate(config);
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        return config;
    }

    public static SidecarConfig load(Path file) throws InvalidConfigException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidConfigException(List.of(new FieldError("", "cannot read " + file + ": " + e.getMessage())));
        }
    }

    /** Parses a document without semantic validation, reporting only syntax and type errors. */
    public static SidecarConfig parseUnvalidated(String text) throws InvalidConfigException {
        if (text == null || text.isBlank()) {
            throw new InvalidConfigException(List.of(new FieldError("", "the configuration document is empty")));
        }
        try {
            SidecarConfig config = YAML.readValue(text, SidecarConfig.class);
            if (config == null) {
                throw new InvalidConfigException(List.of(new FieldError("", "the configuration document is empty")));
            }
            return config;
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof JsonProcessingException syntax) {
                throw new InvalidConfigException(List.of(syntaxError(syntax)));
            }
            throw new InvalidConfigException(List.of(new FieldError(path(e), describe(e))));
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(List.of(syntaxError(e)));
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
