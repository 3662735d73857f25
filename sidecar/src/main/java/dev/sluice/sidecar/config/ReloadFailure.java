package dev.sluice.sidecar.config;

import dev.sluice.api.config.FieldError;
import java.time.Instant;
import java.util.List;

/** A configuration that was refused: why, and when. The one before it stays in force. */
public record ReloadFailure(String sha256, List<FieldError> errors, Instant at) {
    public String message() {
        return String.join("; ", errors.stream().map(FieldError::toString).toList());
    }
}
