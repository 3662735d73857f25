// Command sluice-grpc-bench is the gRPC half of the proxy comparison (dev.sluice.benchmarks.proxy.ProxyComparison,
// modes grpc-allowed and grpc-refused): the upstream and the load generator, both grpc-go.
//
//	sluice-grpc-bench serve -port P
//	    grpc-go's benchmark server (google.golang.org/grpc/benchmark: grpc.testing.BenchmarkService, whose
//	    UnaryCall answers a payload of the size asked for) on 127.0.0.1:P, in cleartext HTTP/2, until SIGTERM.
//	sluice-grpc-bench load -target HOST:PORT [-rate R] [-concurrency N] [-duration D] ...
//	    unary UnaryCall calls for D, closed loop (N calls in flight, each sent as the previous one ends) when
//	    -rate is 0, else open loop at R calls/s (sent on schedule whatever the answers, at most -max-in-flight
//	    at once), then one line of figures on stdout (see report).
//
// grpc-go's own benchmark client (google.golang.org/grpc/benchmark/client) is closed loop only and exits at the
// first failed call, and a rate limiter's refusals are failed calls: hence this client, which counts calls by
// status code and keeps each call's latency for exact percentiles.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/benchmark"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "version":
		fmt.Println("sluice-grpc-bench, grpc-go " + grpc.Version)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-grpc-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sluice-grpc-bench serve -port P | load -target HOST:PORT [flags] | version")
	os.Exit(64)
}

func serve(args []string) error {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	port := flags.Int("port", 0, "the loopback port to listen on")
	flags.Parse(args)
	if *port <= 0 || *port > 65535 {
		return fmt.Errorf("-port must be between 1 and 65535, got %d", *port)
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		return err
	}
	// The buffer sizes of grpc-go's benchmark/server/main.go.
	stop := benchmark.StartServer(benchmark.ServerInfo{Type: "protobuf", Listener: listener},
		grpc.WriteBufferSize(128*1024), grpc.ReadBufferSize(128*1024))
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	<-signals
	stop()
	return nil
}

type outcome struct {
	sent    time.Time
	latency time.Duration
	code    codes.Code
	message string
}

func load(args []string) error {
	flags := flag.NewFlagSet("load", flag.ExitOnError)
	target := flags.String("target", "", "host:port of the server or proxy (cleartext HTTP/2)")
	rate := flags.Int("rate", 0, "calls per second, open loop; 0 for closed loop with -concurrency calls in flight")
	concurrency := flags.Int("concurrency", 32, "calls in flight in closed loop")
	maxInFlight := flags.Int("max-in-flight", 256, "at most this many calls in flight in open loop: a target that falls behind gets less than -rate")
	connections := flags.Int("connections", 4, "HTTP/2 connections; calls go to them in turn")
	duration := flags.Duration("duration", 3*time.Second, "how long to send calls")
	timeout := flags.Duration("timeout", 5*time.Second, "each call's deadline")
	requestSize := flags.Int("req", 1, "request payload, bytes")
	responseSize := flags.Int("resp", 1, "response payload asked for, bytes")
	flags.Parse(args)
	switch {
	case *target == "":
		return errors.New("-target is required")
	case *rate < 0:
		return fmt.Errorf("-rate must be 0 or more, got %d", *rate)
	case *concurrency < 1 || *maxInFlight < 1 || *connections < 1:
		return errors.New("-concurrency, -max-in-flight and -connections must be at least 1")
	case *duration <= 0:
		return fmt.Errorf("-duration must be positive, got %s", *duration)
	}

	clients := make([]testgrpc.BenchmarkServiceClient, *connections)
	for i := range clients {
		// passthrough: the address as given, no DNS; each ClientConn is one HTTP/2 connection.
		conn, err := grpc.NewClient("passthrough:///"+*target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.Connect()
		clients[i] = testgrpc.NewBenchmarkServiceClient(conn)
	}
	request := &testpb.SimpleRequest{
		ResponseType: testpb.PayloadType_COMPRESSABLE,
		ResponseSize: int32(*responseSize),
		Payload:      &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: make([]byte, *requestSize)},
	}
	call := func(client testgrpc.BenchmarkServiceClient) outcome {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		start := time.Now()
		_, err := client.UnaryCall(ctx, request)
		s := status.Convert(err)
		return outcome{sent: start, latency: time.Since(start), code: s.Code(), message: s.Message()}
	}

	var mu sync.Mutex
	var outcomes []outcome
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	start := time.Now()
	end := start.Add(*duration)
	var wg sync.WaitGroup
	if *rate == 0 {
		for w := 0; w < *concurrency; w++ {
			wg.Add(1)
			go func(client testgrpc.BenchmarkServiceClient) {
				defer wg.Done()
				for time.Now().Before(end) {
					record(call(client))
				}
			}(clients[w%len(clients)])
		}
	} else {
		// Call i is due at start + i/rate; a call late for want of a free slot is sent when one frees, as
		// vegeta's -max-workers does, and the rate achieved then falls short of the rate asked for.
		slots := make(chan struct{}, *maxInFlight)
		interval := time.Second / time.Duration(*rate)
		for i := 0; ; i++ {
			due := start.Add(time.Duration(i) * interval)
			if !due.Before(end) {
				break
			}
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
			slots <- struct{}{}
			wg.Add(1)
			go func(client testgrpc.BenchmarkServiceClient) {
				defer wg.Done()
				record(call(client))
				<-slots
			}(clients[i%len(clients)])
		}
	}
	wg.Wait()
	fmt.Println(report(outcomes))
	return nil
}

// failed says whether a call got no answer at all: its deadline passed, or grpc-go's transport failed under it
// ("connection error: ..." when it could not connect, "error reading from server: ..." when the connection broke).
// Any other status, UNAVAILABLE included, was answered by the server or a proxy, and a refusal is such an answer.
func failed(o outcome) bool {
	return o.code == codes.DeadlineExceeded || o.code == codes.Canceled ||
		(o.code == codes.Unavailable && (strings.HasPrefix(o.message, "connection error") || strings.HasPrefix(o.message, "error reading from server")))
}

// report is one line of key=value figures, read by the comparison's GrpcLoad: calls, ok, errors (see failed),
// seconds (from the first call's send to the last's answer), sent_per_second (calls after the first over the span
// of their sends: the rate kept), answered calls' latencies p50, p99, p999 and max in nanoseconds, then
// codes=NAME:COUNT,... and, for each non-OK code, message.NAME="the first message seen" (quoted, Go syntax).
func report(outcomes []outcome) string {
	if len(outcomes) == 0 {
		return "calls=0"
	}
	sort.Slice(outcomes, func(i, j int) bool { return outcomes[i].sent.Before(outcomes[j].sent) })
	first, last := outcomes[0].sent, outcomes[len(outcomes)-1].sent
	finished := first
	counts := map[codes.Code]int{}
	messages := map[codes.Code]string{}
	var latencies []time.Duration
	errorCount := 0
	for _, o := range outcomes {
		counts[o.code]++
		if _, seen := messages[o.code]; !seen && o.code != codes.OK {
			messages[o.code] = o.message
		}
		// A call that ran out of its deadline or lost its connection got no answer: an error, without a latency.
		if failed(o) {
			errorCount++
		} else {
			latencies = append(latencies, o.latency)
		}
		if done := o.sent.Add(o.latency); done.After(finished) {
			finished = done
		}
	}
	slices.Sort(latencies)
	span := last.Sub(first).Seconds()
	sentPerSecond := float64(len(outcomes))
	if span > 0 {
		sentPerSecond = float64(len(outcomes)-1) / span
	}
	var line strings.Builder
	fmt.Fprintf(&line, "calls=%d ok=%d errors=%d seconds=%.6f sent_per_second=%.1f answered=%d p50=%d p99=%d p999=%d max=%d",
		len(outcomes), counts[codes.OK], errorCount, finished.Sub(first).Seconds(), sentPerSecond, len(latencies),
		percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 0.999), percentile(latencies, 1))
	names := make([]codes.Code, 0, len(counts))
	for code := range counts {
		names = append(names, code)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, code := range names {
		parts[i] = fmt.Sprintf("%s:%d", code, counts[code])
	}
	fmt.Fprintf(&line, " codes=%s", strings.Join(parts, ","))
	for _, code := range names {
		if message, ok := messages[code]; ok {
			fmt.Fprintf(&line, " message.%s=%q", code, message)
		}
	}
	return line.String()
}

// percentile is the nearest-rank percentile of sorted durations in nanoseconds (the comparison's vegeta figures are
// computed the same way), 0 when there are none.
func percentile(sorted []time.Duration, fraction float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*fraction + 0.999999)
	rank = max(1, min(len(sorted), rank))
	return int64(sorted[rank-1])
}
