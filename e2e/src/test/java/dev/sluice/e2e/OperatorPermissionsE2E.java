package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The permissions {@code charts/sluice} grants the operator's ServiceAccount are enough: in
 * the logs of every operator container the suite ran (its pods were stopped, restarted and
 * force-deleted along the way), no request of the operator was refused. Runs after the classes that
 * use the operator ({@link ClassOrderer.OrderAnnotation}, see junit-platform.properties).
 */
@Order(Integer.MAX_VALUE - 1)
@ExtendWith(ClusterExtension.class)
class OperatorPermissionsE2E {

    @Test
    void noRequestOfTheOperatorWasForbiddenInAnyOfItsContainers(TestCluster cluster) throws IOException {
        OperatorDeployment operator = cluster.operator();
        operator.collectLogs();

        List<Path> logs = operator.collectedLogs();
        List<String> refused = new ArrayList<>();
        for (Path log : logs) {
            for (String line : Files.readAllLines(log)) {
                if (line.toLowerCase(Locale.ROOT).contains("forbidden")) {
                    refused.add(log.getFileName() + ": " + line);
                }
            }
        }

        assertThat(logs).as("operator logs collected").isNotEmpty();
        assertThat(refused).as("log lines of the operator that say a request was forbidden: %s lacks a permission",
                "the RBAC of " + OperatorDeployment.CHART).isEmpty();
    }
}
