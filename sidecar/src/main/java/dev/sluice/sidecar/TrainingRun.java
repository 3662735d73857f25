package dev.sluice.sidecar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The build's training run for class data sharing ({@code -Dsluice.trainingRun=true}, with
 * {@code -XX:ArchiveClassesAtExit}): the sidecar starts as usual, answers one {@code /readyz} on its admin
 * port and one request on its traffic port (a 502 when the upstream is down, which loads the forwarding
 * path all the same), then stops, so that the JVM archives the classes a start-up and a first request
 * load. What happens at start-up is what Spring Boot's {@code -Dspring.context.exit=onRefresh} does for the
 * same purpose; the start then reads those classes from the archive rather than from the jar.
 */
final class TrainingRun {
    static final String PROPERTY = "sluice.trainingRun";

    private TrainingRun() {
    }

    static boolean requested() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** One request to each port of {@code sidecar}, each answered before the next; their status lines. */
    static List<String> exercise(Sidecar sidecar) throws IOException {
        return List.of(get(sidecar.adminPort(), "/readyz"), get(sidecar.port(), "/"));
    }

    private static String get(int port, String path) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = response.indexOf("\r\n");
            return end < 0 ? response : response.substring(0, end);
        }
    }
}
