package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorIdentityTest {
    @TempDir
    Path directory;

    @Test
    void theUserIsTheServiceAccountTokensSubject() throws Exception {
        Path token = write(jwt("{\"iss\":\"https://kubernetes.default.svc\",\"sub\":\"system:serviceaccount:sluice-system:sluice-operator\"}"));

        assertThat(OperatorIdentity.fromServiceAccountToken(token)).contains("system:serviceaccount:sluice-system:sluice-operator");
    }

    @Test
    void anyOtherTokenOrNoneTellsNothing() throws Exception {
        assertThat(OperatorIdentity.fromServiceAccountToken(directory.resolve("missing"))).isEmpty();
        assertThat(OperatorIdentity.fromServiceAccountToken(write(jwt("{\"sub\":\"alice\"}")))).isEmpty();
        assertThat(OperatorIdentity.fromServiceAccountToken(write("not-a-jwt"))).isEmpty();
        assertThat(OperatorIdentity.fromServiceAccountToken(write("a.%%%.c"))).isEmpty();
    }

    private Path write(String content) throws Exception {
        Path file = Files.createTempFile(directory, "token", "");
        Files.writeString(file, content);
        return file;
    }

    private static String jwt(String claims) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        return encoder.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + encoder.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl\n";
    }
}
