package dev.sluice.operator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * The user name the operator's requests reach the API server as, when it runs in a pod: the subject
 * of its ServiceAccount token, {@code system:serviceaccount:<namespace>:<name>}, read from the token
 * file without asking the API server. The chart's update webhook leaves exactly that user out (its
 * match conditions); the webhook also lets that user's updates through itself, should a configuration
 * ever send them, since deciding on the operator's own resume would wait on the lock the resume holds.
 */
public final class OperatorIdentity {
    /** Where the kubelet mounts the pod's ServiceAccount token. */
    public static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");
    private static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

    private OperatorIdentity() {
    }

    /** The token's subject when {@code tokenFile} holds a ServiceAccount token; empty outside a pod or for any other token. */
    public static Optional<String> fromServiceAccountToken(Path tokenFile) {
        if (!Files.isReadable(tokenFile)) {
            return Optional.empty();
        }
        try {
            String[] parts = Files.readString(tokenFile, StandardCharsets.US_ASCII).trim().split("\\.");
            if (parts.length != 3) {
                return Optional.empty();
            }
            JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
            String subject = claims.path("sub").asText("");
            return subject.startsWith(SERVICE_ACCOUNT_PREFIX) && subject.split(":").length == 4 ? Optional.of(subject) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
