package dev.sluice.api.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration document that cannot be enforced, with every problem found in it. */
public final class InvalidConfigException extends Exception {
    private final List<FieldError> errors;

    public InvalidConfigException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")), null, false, false);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
