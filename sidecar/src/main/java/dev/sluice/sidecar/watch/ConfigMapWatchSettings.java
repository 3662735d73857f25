package dev.sluice.sidecar.watch;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the sidecar watches its configuration on the Kubernetes API server ({@code --config-watch NAMESPACE/NAME}):
 * the ConfigMap, the key of the document in it, the API server, and the files that authenticate to it and verify it.
 *
 * @param key the ConfigMap key holding the document, named like the {@code --config} file ({@code sidecar.yaml})
 * @param apiServer the API server's base URL, {@code https://host:port}
 * @param tokenFile the pod's projected ServiceAccount token, read again at every (re)connect: the kubelet rotates it
 * @param caFile the cluster's root CA (PEM), the only certificates the API server is trusted by
 */
public record ConfigMapWatchSettings(String namespace, String name, String key, URI apiServer, Path tokenFile, Path caFile) {
    public static final Path DEFAULT_TOKEN_FILE = Path.of("/var/run/secrets/sluice/token");
    public static final Path DEFAULT_CA_FILE = Path.of("/var/run/secrets/sluice/ca.crt");
    static final String SERVICE_HOST = "KUBERNETES_SERVICE_HOST";
    static final String SERVICE_PORT = "KUBERNETES_SERVICE_PORT";

    /**
     * Reads {@code --config-watch} ({@code NAMESPACE/NAME}) and the API server: {@code apiServer} ({@code --api-server})
     * when given, else {@code KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT} from {@code env}, as every
     * pod has them. Every problem is an {@link IllegalArgumentException} naming the flag or variable and the value.
     */
    public static ConfigMapWatchSettings of(String configWatch, String key, String apiServer, Path tokenFile, Path caFile,
                                            Map<String, String> env) {
        String[] parts = configWatch.split("/", -1);
        if (parts.length != 2 || !dnsLabel(parts[0]) || !dnsSubdomain(parts[1])) {
            throw new IllegalArgumentException("--config-watch '" + configWatch
                    + "' must be NAMESPACE/NAME, a namespace and a ConfigMap name, e.g. default/sluice-config");
        }
        return new ConfigMapWatchSettings(parts[0], parts[1], key, apiServer(apiServer, env), tokenFile, caFile);
    }

    private static URI apiServer(String flag, Map<String, String> env) {
        if (flag != null) {
            URI uri;
            try {
                uri = URI.create(flag);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--api-server '" + flag + "' is not a URL: " + e.getMessage());
            }
            if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("--api-server '" + flag + "' must be an https:// URL with a host");
            }
            return uri;
        }
        String host = env.get(SERVICE_HOST);
        String port = env.get(SERVICE_PORT);
        if (host == null || host.isBlank() || port == null || port.isBlank()) {
            throw new IllegalArgumentException("--config-watch needs the API server: " + SERVICE_HOST + " and " + SERVICE_PORT
                    + " (set in every pod) or --api-server URL (SLUICE_API_SERVER)");
        }
        // An IPv6 address goes in brackets in a URL; a pod of an IPv6 cluster gets it bare.
        String bracketed = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        try {
            URI uri = URI.create("https://" + bracketed + ":" + Integer.parseInt(port.trim()));
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("no host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(SERVICE_HOST + " '" + host + "' and " + SERVICE_PORT + " '" + port
                    + "' do not make an API server URL: " + e.getMessage());
        }
    }

    private static boolean dnsLabel(String value) {
        return value.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    }

    private static boolean dnsSubdomain(String value) {
        return value.length() <= 253 && value.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
    }

    @Override
    public String toString() {
        return "ConfigMap " + namespace + "/" + name + " key " + key + " on " + apiServer;
    }
}
