package dev.sluice.sidecar.config;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.RenderedResource;
import java.time.Instant;
import java.util.List;

/**
 * A configuration that was refused: why, when, and what the refused document said about itself (read from it
 * however wrong the rest is, see {@link dev.sluice.api.config.ConfigLoader#header}). The one before it stays in force.
 *
 * @param sha256 the refused document's digest; null when there was no document to read
 * @param generation the refused document's generation; null when it has none or could not be read that far
 * @param resources the resources the refused document says it renders; empty when it lists none or could not be read
 */
public record ReloadFailure(String sha256, List<FieldError> errors, Instant at, Long generation, List<RenderedResource> resources) {
    public ReloadFailure {
        resources = resources == null ? List.of() : List.copyOf(resources);
    }

    public String message() {
        return String.join("; ", errors.stream().map(FieldError::toString).toList());
    }
}
