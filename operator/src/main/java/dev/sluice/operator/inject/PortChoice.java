package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which container port the sidecar takes over: the one {@value InjectionNames#PORT} names, else the only
 * one named {@code http} or {@code http-*}, else (a gRPC or h2c server) the only one named {@code grpc},
 * {@code h2c} or {@code http2}, alone or before a '-' ({@code grpc-web} is HTTP/1.1 and not taken by its
 * name). Only HTTP ports are ever taken, as the sidecar speaks HTTP: a
 * Postgres or Redis port put behind it would stop working. (A container port has no {@code appProtocol}:
 * that field belongs to Service ports, which the pod does not name, so the port's name is the sign.)
 */
final class PortChoice {
    private PortChoice() {
    }

    /** A container port of the pod: the index of its container in {@code spec.containers}, the container, the port. */
    record Found(int containerIndex, Container container, ContainerPort port) {
        String describe() {
            String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
            return (port.getName() == null ? "" : "'" + port.getName() + "' ") + port.getContainerPort() + "/" + protocol
                    + " in container " + container.getName();
        }
    }

    /** The port, or why there is none (with the reason). */
    record Outcome(Found found, SkipReason reason, String message) {
    }

    static Outcome choose(List<Container> containers, String annotation) {
        List<Found> tcp = new ArrayList<>();
        List<Found> all = new ArrayList<>();
        for (int i = 0; i < containers.size(); i++) {
            Container container = containers.get(i);
            for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                Found found = new Found(i, container, port);
                all.add(found);
                if (port.getProtocol() == null || "TCP".equals(port.getProtocol())) {
                    tcp.add(found);
                }
            }
        }
        if (annotation != null) {
            return named(tcp, all, annotation.trim());
        }
        List<Found> http = tcp.stream().filter(PortChoice::http).toList();
        if (http.isEmpty()) {
            // A pod serving only gRPC or h2c: its port, named so, is the one (an http port, when there is one, comes first, as
            // it did before the sidecar spoke HTTP/2: a pod with both an http and a grpc port keeps its http port taken).
            http = tcp.stream().filter(found -> found.port().getName() != null && AppProtocolChoice.h2c(found.port().getName())).toList();
        }
        if (http.size() == 1) {
            return new Outcome(http.get(0), null, null);
        }
        if (http.size() > 1) {
            return new Outcome(null, SkipReason.AMBIGUOUS_PORT, "more than one HTTP port (" + describe(http) + "): add the annotation "
                    + InjectionNames.PORT + " naming the one the sidecar takes over");
        }
        String seen = all.isEmpty() ? "the pod declares no container port" : "its ports (" + describe(all)
                + ") are not named http, http-*, grpc, grpc-*, h2c, h2c-*, http2 or http2-*";
        return new Outcome(null, SkipReason.NO_HTTP_PORT, "no HTTP port: " + seen + "; name the serving port http, or add the annotation "
                + InjectionNames.PORT + ": <name or number> if it serves HTTP");
    }

    static boolean http(Found found) {
        String name = found.port().getName();
        return name != null && (name.equals("http") || name.startsWith("http-"));
    }

    private static Outcome named(List<Found> tcp, List<Found> all, String annotation) {
        boolean number = !annotation.isEmpty() && annotation.chars().allMatch(Character::isDigit);
        List<Found> matching = tcp.stream().filter(found -> number ? String.valueOf(found.port().getContainerPort()).equals(annotation)
                : annotation.equals(found.port().getName())).toList();
        if (matching.size() == 1) {
            return new Outcome(matching.get(0), null, null);
        }
        if (matching.size() > 1) {
            return new Outcome(null, SkipReason.AMBIGUOUS_PORT, InjectionNames.PORT + " '" + annotation + "' names more than one port ("
                    + describe(matching) + "): name the one the sidecar takes over by container port name");
        }
        return new Outcome(null, SkipReason.UNKNOWN_PORT, InjectionNames.PORT + " '" + annotation + "' names no TCP container port of the pod ("
                + (all.isEmpty() ? "it declares none" : "it has " + describe(all)) + "): name one of them by name or number");
    }

    private static String describe(List<Found> ports) {
        return ports.stream().map(Found::describe).collect(Collectors.joining(", "));
    }
}
