using BenchmarkDotNet.Attributes;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Micro;

/// <summary>Redaction runs on every output line before it leaves the runner: the hot path of a chatty probe.</summary>
[MemoryDiagnoser]
public class RedactorBenchmarks
{
    private readonly Redactor _redactor = new(["s3cr3t-Passw0rd", "another-secret-value", "tok_abcdef123456"]);

    [Benchmark(Baseline = true, Description = "Redact: plain output line (no secret)")]
    public string? PlainLine() => _redactor.Redact("2026-11-28 11:20:01.123 INFO  [worker-3] processed batch 4711 in 12 ms (queue depth 17)");

    [Benchmark(Description = "Redact: line with password= and a known secret")]
    public string? SecretLine() => _redactor.Redact("connecting with host=db port=5432 user=platform password=s3cr3t-Passw0rd sslmode=require");

    [Benchmark(Description = "Redact: Authorization header")]
    public string? HeaderLine() => _redactor.Redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature");
}
