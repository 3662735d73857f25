package dev.sluice.benchmarks.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** wrk, closed-loop: as many requests as {@code connections} keep-alive connections get answered, for maximum throughput. */
final class Wrk {
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([0-9.]+)(ms|s|m)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /** What one run got: {@code non2xx} are the 429s of a refusing limit; {@code errors} are wrk's socket errors. */
    record Result(long requests, double seconds, long non2xx, long errors) {
        double perSecond() {
            return requests / seconds;
        }
    }

    private final int connections;
    private final String cpus;
    private final Path clientsScript;

    /** {@code directory} receives the Lua script that sends the 10,000 clients' X-Forwarded-For in turn. */
    Wrk(int connections, String cpus, Path directory) throws IOException {
        this.connections = connections;
        this.cpus = cpus;
        this.clientsScript = directory.resolve("clients.lua");
        // The requests are formatted once, in each thread's init: the generator then only picks the next one.
        Files.writeString(clientsScript, """
                local requests = {}
                local next = 0
                function init(args)
                  for n = 0, %d - 1 do
                    requests[n + 1] = wrk.format(nil, nil, {["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", n / 65536 %% 256, n / 256 %% 256, n %% 256)})
                  end
                end
                function request()
                  next = next %% #requests + 1
                  return requests[next]
                end
                """.formatted(Mode.CLIENT_COUNT));
    }

    Result run(String url, int seconds, boolean distinctClients) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Tools.TASKSET.path(), "-c", cpus, Tools.WRK.path(), "-t1", "-c" + connections,
                "-d" + seconds + "s", "--timeout", "5s"));
        if (distinctClients) {
            command.addAll(List.of("-s", clientsScript.toString()));
        }
        command.add(url);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("wrk failed (" + process.exitValue() + "): " + output);
        }
        Matcher requests = REQUESTS.matcher(output);
        if (!requests.find()) {
            throw new IOException("no request count in wrk's output: " + output);
        }
        double duration = Double.parseDouble(requests.group(2));
        duration = switch (requests.group(3)) {
            case "ms" -> duration / 1000;
            case "m" -> duration * 60;
            default -> duration;
        };
        Matcher non2xx = NON_2XX.matcher(output);
        Matcher errors = SOCKET_ERRORS.matcher(output);
        long socketErrors = 0;
        if (errors.find()) {
            for (int group = 1; group <= 4; group++) {
                socketErrors += Long.parseLong(errors.group(group));
            }
        }
        return new Result(Long.parseLong(requests.group(1)), duration, non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, socketErrors);
    }
}
