package dev.sluice.operator.webhook;

import dev.sluice.api.flags.Flags;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * How the Job admission webhook is served and reached.
 *
 * @param enabled whether the operator serves the webhook (JobQuotas hold nothing without it); by default only in a cluster,
 *     as an API server elsewhere can seldom reach the operator
 * @param bindAddress the address the HTTPS server listens on
 * @param port its port (0 picks a free one)
 * @param url a URL the API server calls the webhooks at, when the webhook configurations name one
 *     ({@code clientConfig.url}, out of a cluster): its host goes into the serving certificate
 * @param service {@code namespace/name[:port]} of the Service in front of the operator (in a cluster): its
 *     DNS names go into the serving certificate; a missing namespace part is the operator's own namespace
 * @param certDir a directory holding {@code tls.crt}, {@code tls.key} and, optionally, {@code ca.crt} (a
 *     cert-manager Secret mounted as a volume); null to create a self-signed CA and certificate
 * @param secret {@code namespace/name} of the Secret that keeps the self-signed CA and certificate across
 *     restarts and replicas; a missing namespace part is the operator's own namespace
 * @param configurations the names of the webhook configurations (mutating or validating) that call the
 *     webhooks, installed by the chart: the operator writes their {@code caBundle}, nothing else of them,
 *     and only with its own CA (with {@code certDir}, cert-manager's CA injector writes it)
 */
public record WebhookSettings(boolean enabled, String bindAddress, int port, String url, String service, Path certDir, String secret,
        List<String> configurations) {
    public static final int DEFAULT_PORT = 9443;
    public static final String DEFAULT_SERVICE = "sluice-operator-webhook";
    public static final String DEFAULT_SECRET = "sluice-webhook-tls";
    /** The chart's two configurations for a release named {@code sluice}. */
    public static final List<String> DEFAULT_CONFIGURATIONS = List.of("sluice-jobs", "sluice-job-updates");
    /** A Kubernetes object name (DNS subdomain, RFC 1123). */
    private static final Pattern OBJECT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    public static final String USAGE = """
              --webhook=B             serve the Job admission webhook for JobQuotas (env SLUICE_WEBHOOK; default true in a cluster, false outside)
              --webhook-port=N        its HTTPS port (env SLUICE_WEBHOOK_PORT; default 9443)
              --webhook-bind=ADDRESS  its address (env SLUICE_WEBHOOK_BIND; default 0.0.0.0)
              --webhook-url=URL       a URL the webhook configurations call it at; its host goes into the certificate
                                      (env SLUICE_WEBHOOK_URL; default none: loopback and the Service's names)
              --webhook-service=S     namespace/name[:port] of its Service (env SLUICE_WEBHOOK_SERVICE; default sluice-operator-webhook in a cluster)
              --webhook-cert-dir=DIR  tls.crt, tls.key, ca.crt from cert-manager, reloaded when they change
                                      (env SLUICE_WEBHOOK_CERT_DIR; default: the operator's own CA)
              --webhook-secret=NS/N   the Secret keeping the operator's own CA and certificate (env SLUICE_WEBHOOK_SECRET; default sluice-webhook-tls)
              --webhook-configurations=NAME,NAME
                                      the webhook configurations whose caBundle the operator writes
                                      (env SLUICE_WEBHOOK_CONFIGURATIONS; default sluice-jobs,sluice-job-updates)
            """;

    public WebhookSettings {
        configurations = List.copyOf(configurations);
    }

    public static WebhookSettings disabled() {
        return new WebhookSettings(false, "0.0.0.0", DEFAULT_PORT, null, null, null, DEFAULT_SECRET, DEFAULT_CONFIGURATIONS);
    }

    /** Served on a free loopback port, its CA in {@code secret} ({@code namespace/name}) and written into {@code configurations}. */
    public static WebhookSettings loopback(String secret, List<String> configurations) {
        return new WebhookSettings(true, "127.0.0.1", 0, null, null, null, secret, configurations);
    }

    public static WebhookSettings parse(UnaryOperator<String> setting, boolean inCluster) {
        String enabled = setting.apply("webhook");
        String port = setting.apply("webhook-port");
        String bind = setting.apply("webhook-bind");
        String url = setting.apply("webhook-url");
        String service = setting.apply("webhook-service");
        String certDir = setting.apply("webhook-cert-dir");
        String secret = setting.apply("webhook-secret");
        String configurations = setting.apply("webhook-configurations");
        if (url != null && !url.startsWith("https://")) {
            throw new IllegalArgumentException("--webhook-url must be an https:// URL, got '" + url + "'");
        }
        if (service != null) {
            checkService(service);
        }
        if (secret != null) {
            checkQualifiedName("--webhook-secret", "namespace/name or name", secret);
        }
        return new WebhookSettings(
                enabled == null ? inCluster : Flags.bool("--webhook", enabled),
                bind == null ? "0.0.0.0" : bind,
                port == null ? DEFAULT_PORT : Flags.port("--webhook-port", port),
                url,
                service == null && url == null && inCluster ? DEFAULT_SERVICE : service,
                certDir == null ? null : Path.of(certDir),
                secret == null ? DEFAULT_SECRET : secret,
                configurations == null ? DEFAULT_CONFIGURATIONS : configurations(configurations));
    }

    private static List<String> configurations(String value) {
        List<String> names = Flags.list(value);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("--webhook-configurations must name at least one webhook configuration, got '" + value + "'");
        }
        for (String name : names) {
            if (!OBJECT_NAME.matcher(name).matches() || name.length() > 253) {
                throw new IllegalArgumentException("--webhook-configurations: '" + name + "' is not a Kubernetes object name"
                        + " (lower-case letters, digits, '-' and '.'), in '" + value + "'");
            }
        }
        return List.copyOf(new LinkedHashSet<>(names));
    }

    private static void checkService(String value) {
        int colon = value.lastIndexOf(':');
        if (colon > 0) {
            Flags.port("--webhook-service's port", value.substring(colon + 1));
        }
        checkQualifiedName("--webhook-service", "namespace/name[:port] or name[:port]", colon > 0 ? value.substring(0, colon) : value);
    }

    private static void checkQualifiedName(String flag, String form, String value) {
        String[] parts = value.split("/", -1);
        boolean valid = parts.length <= 2;
        for (String part : parts) {
            valid &= OBJECT_NAME.matcher(part).matches();
        }
        if (!valid) {
            throw new IllegalArgumentException(flag + " must be " + form + " (Kubernetes names), got '" + value + "'");
        }
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
