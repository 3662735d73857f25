package dev.sluice.operator.webhook;

import dev.sluice.api.flags.Flags;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How the Job admission webhook is served and reached.
 *
 * @param enabled whether the operator serves the webhook (JobQuotas hold nothing without it); by default only in a cluster,
 *     as an API server elsewhere can seldom reach the operator
 * @param bindAddress the address the HTTPS server listens on
 * @param port its port (0 picks a free one)
 * @param url the base URL the API server calls (out of a cluster); null to use {@code service}, or,
 *     when that is null too, {@code https://127.0.0.1:<port>}
 * @param service {@code namespace/name[:port]} of the Service in front of the operator (in a cluster); a
 *     null namespace part is the operator's own namespace
 * @param certDir a directory holding {@code tls.crt}, {@code tls.key} and, optionally, {@code ca.crt} (a
 *     cert-manager Secret mounted as a volume); null to create a self-signed CA and certificate
 * @param secret {@code namespace/name} of the Secret that keeps the self-signed CA and certificate across
 *     restarts and replicas; a null namespace part is the operator's own namespace
 */
public record WebhookSettings(boolean enabled, String bindAddress, int port, String url, String service, Path certDir, String secret) {
    public static final int DEFAULT_PORT = 9443;
    public static final String DEFAULT_SERVICE = "sluice-operator-webhook";
    public static final String DEFAULT_SECRET = "sluice-webhook-tls";
    public static final String USAGE = """
              --webhook=B             serve the Job admission webhook for JobQuotas (env SLUICE_WEBHOOK; default true in a cluster, false outside)
              --webhook-port=N        its HTTPS port (env SLUICE_WEBHOOK_PORT; default 9443)
              --webhook-bind=ADDRESS  its address (env SLUICE_WEBHOOK_BIND; default 0.0.0.0)
              --webhook-url=URL       the URL the API server calls (env SLUICE_WEBHOOK_URL; default https://127.0.0.1:<port> outside a cluster)
              --webhook-service=S     namespace/name[:port] of its Service (env SLUICE_WEBHOOK_SERVICE; default sluice-operator-webhook in a cluster)
              --webhook-cert-dir=DIR  tls.crt, tls.key, ca.crt from cert-manager (env SLUICE_WEBHOOK_CERT_DIR; default: self-signed)
              --webhook-secret=NS/N   the Secret keeping the self-signed certificate (env SLUICE_WEBHOOK_SECRET; default sluice-webhook-tls)
            """;

    public static WebhookSettings disabled() {
        return new WebhookSettings(false, "0.0.0.0", DEFAULT_PORT, null, null, null, DEFAULT_SECRET);
    }

    /** Served on a free loopback port and called at {@code https://127.0.0.1:<port>}: an API server on the same machine. */
    public static WebhookSettings loopback() {
        return new WebhookSettings(true, "127.0.0.1", 0, null, null, null, DEFAULT_SECRET);
    }

    public static WebhookSettings parse(UnaryOperator<String> setting, boolean inCluster) {
        String enabled = setting.apply("webhook");
        String port = setting.apply("webhook-port");
        String bind = setting.apply("webhook-bind");
        String url = setting.apply("webhook-url");
        String service = setting.apply("webhook-service");
        String certDir = setting.apply("webhook-cert-dir");
        String secret = setting.apply("webhook-secret");
        if (enabled != null && !enabled.equals("true") && !enabled.equals("false")) {
            throw new IllegalArgumentException("--webhook must be true or false, got '" + enabled + "'");
        }
        if (url != null && !url.startsWith("https://")) {
            throw new IllegalArgumentException("--webhook-url must be an https:// URL, got '" + url + "'");
        }
        return new WebhookSettings(
                enabled == null ? inCluster : enabled.equals("true"),
                bind == null ? "0.0.0.0" : bind,
                port == null ? DEFAULT_PORT : Flags.port("--webhook-port", port),
                url,
                service == null && url == null && inCluster ? DEFAULT_SERVICE : service,
                certDir == null ? null : Path.of(certDir),
                secret == null ? DEFAULT_SECRET : secret);
    }

    /** The names the serving certificate must carry: loopback, the URL's host, the Service's DNS names. */
    public static Set<String> hosts(WebhookSettings settings, String[] service) {
        Set<String> hosts = new LinkedHashSet<>(List.of("127.0.0.1", "localhost"));
        if (settings.url() != null) {
            hosts.add(URI.create(settings.url()).getHost());
        }
        if (service != null) {
            String name = service[1];
            String namespace = service[0];
            hosts.addAll(List.of(name, name + "." + namespace, name + "." + namespace + ".svc", name + "." + namespace + ".svc.cluster.local"));
        }
        return hosts;
    }

    /** {@code [namespace, name, port]} from {@code namespace/name[:port]} or {@code name[:port]}. */
    public static String[] service(String value, String defaultNamespace) {
        String port = "443";
        int colon = value.lastIndexOf(':');
        if (colon > 0) {
            port = value.substring(colon + 1);
            value = value.substring(0, colon);
        }
        String[] qualified = WebhookTls.qualified(value, defaultNamespace);
        return new String[] {qualified[0], qualified[1], port};
    }
}
