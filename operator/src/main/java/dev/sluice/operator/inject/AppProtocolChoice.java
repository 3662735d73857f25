package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which protocol the sidecar speaks to the app on the taken port (docs/injection.md): the pod's annotation
 * {@value InjectionNames#APP_PROTOCOL}, else what the Services that send traffic to that port declare, as
 * Istio reads a Service port (its {@code appProtocol}, else its name's prefix), else the container port's own
 * name by the same convention, else HTTP/1.1. A container port has no {@code appProtocol}: Kubernetes puts it
 * on Service ports, which is why the Services are read at all.
 */
final class AppProtocolChoice {
    /** The protocol of the sidecar's {@code --upstream}, by its URL scheme. */
    enum Protocol {
        HTTP("http"),
        H2C("h2c");

        private final String scheme;

        Protocol(String scheme) {
            this.scheme = scheme;
        }

        /** The scheme of the sidecar's {@code --upstream}, and the word of the injection record. */
        String scheme() {
            return scheme;
        }
    }

    /** Written in the injection record when nothing declared the protocol. */
    static final String DEFAULT = "default";
    /** The Kubernetes standard application protocol of HTTP/2 over cleartext (KEP-3726). */
    static final String KUBERNETES_H2C = "kubernetes.io/h2c";
    /** Prefixes (before the first '-') that mean HTTP/2 to the app: Istio's grpc and http2, and h2c. */
    private static final Set<String> H2C_PREFIXES = Set.of("grpc", "h2c", "http2");
    /**
     * The prefixes Istio knows (protocol.Parse), each a declaration: a port named {@code http-web} or {@code tcp} says the app
     * does not speak h2c there, a port named {@code web} says nothing.
     */
    private static final Set<String> KNOWN_PREFIXES = Set.of("grpc", "h2c", "http2", "http", "https", "http_proxy", "tcp", "tls", "udp",
            "mongo", "redis", "mysql");
    /**
     * gRPC-Web is made for browsers over HTTP/1.1: every gRPC-Web server answers it, not every one answers h2c (Istio calls it
     * HTTP/2, which holds only for a gRPC server behind a gRPC-Web proxy).
     */
    private static final String GRPC_WEB = "grpc-web";

    private AppProtocolChoice() {
    }

    /**
     * The protocol; {@code from} says what decided it, for the injection record; {@code warning} why Services were not followed;
     * {@code error}, with a null protocol, that the annotation is not a protocol (the pod is not injected).
     */
    record Outcome(Protocol protocol, String from, String warning, String error) {
    }

    /**
     * @param annotation the pod's {@value InjectionNames#APP_PROTOCOL}, or null
     * @param services the Services of the pod's namespace, asked for only without the annotation; may throw when they cannot be read
     */
    static Outcome choose(String annotation, Map<String, String> podLabels, ContainerPort taken, Supplier<List<Service>> services) {
        if (annotation != null) {
            String value = annotation.trim().toLowerCase(Locale.ROOT);
            String from = "annotation " + InjectionNames.APP_PROTOCOL;
            if (value.equals(InjectionNames.APP_PROTOCOL_HTTP)) {
                return new Outcome(Protocol.HTTP, from, null, null);
            }
            if (value.equals(InjectionNames.APP_PROTOCOL_H2C)) {
                return new Outcome(Protocol.H2C, from, null, null);
            }
            return new Outcome(null, null, null, InjectionNames.APP_PROTOCOL + " '" + annotation + "' is neither "
                    + InjectionNames.APP_PROTOCOL_HTTP + " (HTTP/1.1) nor " + InjectionNames.APP_PROTOCOL_H2C
                    + " (HTTP/2 in cleartext, as gRPC apps speak): set one of them, or remove the annotation to have the Services'"
                    + " appProtocol decide");
        }
        List<Service> all;
        try {
            all = services.get();
        } catch (RuntimeException e) {
            return new Outcome(Protocol.HTTP, DEFAULT, "the Services of the pod's namespace could not be read (" + e.getMessage()
                    + "), so their appProtocol is not known: the sidecar calls the app over HTTP/1.1; an h2c or gRPC app needs the annotation "
                    + InjectionNames.APP_PROTOCOL + ": " + InjectionNames.APP_PROTOCOL_H2C, null);
        }
        List<String> h2c = new ArrayList<>();
        List<String> http = new ArrayList<>();
        for (Service service : all) {
            if (!selects(service, podLabels)) {
                continue;
            }
            for (ServicePort port : service.getSpec().getPorts() == null ? List.<ServicePort>of() : service.getSpec().getPorts()) {
                Protocol declared = targets(port, taken) ? declared(port) : null;
                if (declared == Protocol.H2C) {
                    h2c.add(describe(service, port));
                } else if (declared == Protocol.HTTP) {
                    http.add(describe(service, port));
                }
            }
        }
        if (!h2c.isEmpty() && !http.isEmpty()) {
            // One of them is wrong, and nothing here tells which: HTTP/1.1, what the injector did before it read
            // Services (an HTTP/1.1 app called over h2c fails every request), and a warning saying how to choose.
            return new Outcome(Protocol.HTTP, DEFAULT + " (the Services disagree)", "the Services sending traffic to port " + taken.getContainerPort()
                    + " disagree on its protocol (h2c: " + String.join(", ", h2c) + "; not h2c: " + String.join(", ", http)
                    + "): the sidecar calls the app over HTTP/1.1; set the annotation " + InjectionNames.APP_PROTOCOL + " ("
                    + InjectionNames.APP_PROTOCOL_HTTP + " or " + InjectionNames.APP_PROTOCOL_H2C + "), or make the Services agree", null);
        }
        if (!h2c.isEmpty()) {
            return new Outcome(Protocol.H2C, String.join(", ", h2c), null, null);
        }
        if (!http.isEmpty()) {
            return new Outcome(Protocol.HTTP, String.join(", ", http), null, null);
        }
        if (taken.getName() != null && h2c(taken.getName())) {
            return new Outcome(Protocol.H2C, "container port name " + taken.getName(), null, null);
        }
        return new Outcome(Protocol.HTTP, DEFAULT, null, null);
    }

    /** A Service with a selector that the pod's labels satisfy (a Service without one has Endpoints of its own making). */
    static boolean selects(Service service, Map<String, String> podLabels) {
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        return selector != null && !selector.isEmpty()
                && selector.entrySet().stream().allMatch(entry -> entry.getValue().equals(podLabels.get(entry.getKey())));
    }

    /** Whether the Service port sends to the taken port: its targetPort by number or by the container port's name, else its own number. */
    static boolean targets(ServicePort port, ContainerPort taken) {
        if (port.getProtocol() != null && !"TCP".equals(port.getProtocol())) {
            return false;
        }
        int number = taken.getContainerPort();
        IntOrString target = port.getTargetPort();
        if (target == null || target.getIntVal() == null && target.getStrVal() == null) {
            return port.getPort() != null && port.getPort() == number;
        }
        if (target.getIntVal() != null) {
            return target.getIntVal() == number;
        }
        return target.getStrVal().equals(taken.getName());
    }

    /** What the port declares, as Istio reads it: its appProtocol when set (any value is a declaration), else its name's prefix; null for nothing. */
    static Protocol declared(ServicePort port) {
        String appProtocol = port.getAppProtocol();
        if (appProtocol != null && !appProtocol.isBlank()) {
            return h2c(appProtocol) ? Protocol.H2C : Protocol.HTTP;
        }
        String name = port.getName();
        if (name == null || name.isBlank()) {
            return null;
        }
        if (h2c(name)) {
            return Protocol.H2C;
        }
        return KNOWN_PREFIXES.contains(prefix(name.toLowerCase(Locale.ROOT))) ? Protocol.HTTP : null;
    }

    /** {@code kubernetes.io/h2c}, or grpc, h2c, http2 alone or before a '-' (not grpc-web), in any case. */
    static boolean h2c(String value) {
        String lower = value.trim().toLowerCase(Locale.ROOT);
        if (lower.equals(KUBERNETES_H2C)) {
            return true;
        }
        return !lower.startsWith(GRPC_WEB) && H2C_PREFIXES.contains(prefix(lower));
    }

    private static String prefix(String value) {
        int dash = value.indexOf('-');
        return dash < 0 ? value : value.substring(0, dash);
    }

    private static String describe(Service service, ServicePort port) {
        String name = port.getName() == null || port.getName().isEmpty() ? String.valueOf(port.getPort()) : port.getName();
        return "Service " + service.getMetadata().getName() + " port " + name
                + (port.getAppProtocol() == null || port.getAppProtocol().isBlank() ? "" : " (appProtocol " + port.getAppProtocol() + ")");
    }
}
