package dev.sluice.operator.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GRPCAction;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.TCPSocketAction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The kubelet's uses of a container's ports: its probes and lifecycle hooks (httpGet, tcpSocket, grpc).
 * The kubelet resolves a port name only among the ports of the container it probes, and calls the pod's
 * IP, so a hook that named the taken port would reach the sidecar (rate-limited) or nothing at all.
 */
final class PortReferences {
    private PortReferences() {
    }

    /** A port as a probe or hook names it: by {@code name} (may be null) or by {@code number}. */
    record Port(String name, int number) {
        boolean named(IntOrString port) {
            if (port == null) {
                return false;
            }
            if (port.getIntVal() != null) {
                return port.getIntVal() == number;
            }
            return name != null && name.equals(port.getStrVal());
        }
    }

    /**
     * Points every probe and hook of {@code container} that calls {@code from} at {@code to} instead.
     *
     * @return the names of the probes and hooks changed (livenessProbe, preStop...)
     */
    static List<String> rewrite(Container container, Port from, int to) {
        List<String> changed = new ArrayList<>();
        handlers(container).forEach((where, handler) -> {
            if (handler.rewrite(from, to)) {
                changed.add(where);
            }
        });
        return changed;
    }

    /** The probes and hooks of {@code container} that call {@code number} through the pod's IP. */
    static List<String> callingNumber(Container container, int number) {
        Port port = new Port(null, number);
        List<String> calling = new ArrayList<>();
        handlers(container).forEach((where, handler) -> {
            if (handler.calls(port::named)) {
                calling.add(where);
            }
        });
        return calling;
    }

    /** One probe or hook with its three ways of naming a port. */
    private record Handler(HTTPGetAction httpGet, TCPSocketAction tcpSocket, GRPCAction grpc) {
        boolean rewrite(Port from, int to) {
            boolean changed = false;
            if (httpGet != null && from.named(httpGet.getPort())) {
                httpGet.setPort(new IntOrString(to));
                changed = true;
            }
            if (tcpSocket != null && from.named(tcpSocket.getPort())) {
                tcpSocket.setPort(new IntOrString(to));
                changed = true;
            }
            if (grpc != null && grpc.getPort() != null && grpc.getPort() == from.number()) {
                grpc.setPort(to);
                changed = true;
            }
            return changed;
        }

        boolean calls(Predicate<IntOrString> port) {
            return httpGet != null && port.test(httpGet.getPort()) || tcpSocket != null && port.test(tcpSocket.getPort())
                    || grpc != null && grpc.getPort() != null && port.test(new IntOrString(grpc.getPort()));
        }
    }

    private static Map<String, Handler> handlers(Container container) {
        Map<String, Handler> handlers = new LinkedHashMap<>();
        probe(handlers, "livenessProbe", container.getLivenessProbe());
        probe(handlers, "readinessProbe", container.getReadinessProbe());
        probe(handlers, "startupProbe", container.getStartupProbe());
        if (container.getLifecycle() != null) {
            hook(handlers, "postStart", container.getLifecycle().getPostStart());
            hook(handlers, "preStop", container.getLifecycle().getPreStop());
        }
        return handlers;
    }

    private static void probe(Map<String, Handler> handlers, String where, Probe probe) {
        if (probe != null) {
            handlers.put(where, new Handler(probe.getHttpGet(), probe.getTcpSocket(), probe.getGrpc()));
        }
    }

    private static void hook(Map<String, Handler> handlers, String where, LifecycleHandler hook) {
        if (hook != null) {
            handlers.put(where, new Handler(hook.getHttpGet(), hook.getTcpSocket(), null));
        }
    }
}
