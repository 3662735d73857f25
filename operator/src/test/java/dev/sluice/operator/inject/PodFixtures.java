package dev.sluice.operator.inject;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Fluent pods for injection tests: {@code pod().container(app().port("http", 8080).env("PORT", "8080")).build()}. */
final class PodFixtures {
    static final String NS = "shop";

    private PodFixtures() {
    }

    static PodFixture pod() {
        return new PodFixture();
    }

    /** A container named app with image example/app. */
    static ContainerBuilder app() {
        return container("app");
    }

    static ContainerBuilder container(String name) {
        return new ContainerBuilder().withName(name).withImage("example/" + name);
    }

    /** The common case: one container serving HTTP on 8080 named http, told its port through PORT. */
    static ContainerBuilder httpApp() {
        return app().addNewPort().withName("http").withContainerPort(8080).endPort().addNewEnv().withName("PORT").withValue("8080").endEnv();
    }

    static Probe httpGet(String path, IntOrString port) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(port).endHttpGet().build();
    }

    static Probe tcp(IntOrString port) {
        return new ProbeBuilder().withNewTcpSocket().withPort(port).endTcpSocket().build();
    }

    static IntOrString port(int number) {
        return new IntOrString(number);
    }

    static IntOrString port(String name) {
        return new IntOrString(name);
    }

    /** A Service of {@link #NS} selecting {@code app: web} (the pods of {@link #pod()}) with these ports. */
    static Service service(String name, ServicePort... ports) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().addToSelector("app", "web").withPorts(ports).endSpec().build();
    }

    /** A Service port {@code port} named {@code name} (or unnamed), to {@code target} (or the same number), with {@code appProtocol} (or none). */
    static ServicePort servicePort(String name, int port, IntOrString target, String appProtocol) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(target).withAppProtocol(appProtocol).withProtocol("TCP").build();
    }

    static final class PodFixture {
        private final Map<String, String> labels = new LinkedHashMap<>(Map.of("app", "web"));
        private final Map<String, String> annotations = new LinkedHashMap<>();
        private final List<Container> containers = new ArrayList<>();
        private final List<Container> initContainers = new ArrayList<>();
        private UnaryOperator<PodBuilder> more = builder -> builder;

        PodFixture label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        PodFixture annotation(String key, String value) {
            annotations.put(key, value);
            return this;
        }

        PodFixture container(ContainerBuilder container) {
            containers.add(container.build());
            return this;
        }

        PodFixture initContainer(ContainerBuilder container) {
            initContainers.add(container.build());
            return this;
        }

        PodFixture with(UnaryOperator<PodBuilder> change) {
            UnaryOperator<PodBuilder> before = more;
            more = builder -> change.apply(before.apply(builder));
            return this;
        }

        Pod build() {
            PodBuilder builder = new PodBuilder().withNewMetadata().withGenerateName("web-").withNamespace(NS).withLabels(labels)
                    .withAnnotations(annotations.isEmpty() ? null : annotations).endMetadata()
                    .withNewSpec().withContainers(containers).withInitContainers(initContainers.isEmpty() ? null : initContainers).endSpec();
            return more.apply(builder).build();
        }
    }
}
