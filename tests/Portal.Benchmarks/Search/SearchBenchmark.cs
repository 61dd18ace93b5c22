using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Portal.Benchmarks.Infrastructure;
using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Benchmarks.Search;

/// <summary>
/// (4) Runbook search over <c>count</c> generated runbooks: the guide's own runbooks cloned with
/// varied titles and symptoms (so documents have the real size and shape), stored as versions in
/// the portal's database; then each <see cref="IRunbookSearchSubject"/> answers a mix of queries.
/// </summary>
public sealed class SearchBenchmark(int count, int queriesPerSubject)
{
    private static readonly string[] Services = ["platform-api", "fine-tuning", "gateway", "billing", "auth", "scheduler", "ingest", "search", "export", "notify"];
    private static readonly string[] Words = ["超时", "连接", "端口", "内存", "磁盘", "证书", "延迟", "重启", "timeout", "refused", "latency", "disk", "certificate", "restart", "queue", "backlog"];

    /// <summary>Queries from broad (thousands of hits) to none; Chinese and English.</summary>
    private static readonly string[] Queries = ["redis", "连接", "timeout", "端口 占用", "memory high", "svc-4711", "证书 过期", "gateway latency", "不存在的症状", "postgres"];

    public async Task RunAsync(BenchResults results)
    {
        await using var portal = await BenchPortal.StartAsync();
        var catalog = portal.Host.Services.GetRequiredService<IRunbookCatalog>();
        var templates = await catalog.ListCurrentAsync();
        var clock = Stopwatch.StartNew();
        await InsertAsync(portal.Host.Database.DataSource, templates, count - templates.Count);
        results.Detail($"generated and stored {count - templates.Count} runbooks (+{templates.Count} from the guide) in {clock.Elapsed.TotalSeconds:0.0} s");

        foreach (var subject in SearchSubjects.Create(catalog, portal.Client))
        {
            await subject.SearchAsync("warm-up", CancellationToken.None);
            var times = new List<double>();
            var hits = new List<int>();
            // Each query is timed; a slow search stops after a minute (at least three queries) to keep bench.sh in budget.
            var budget = Stopwatch.StartNew();
            for (var i = 0; i < queriesPerSubject && (i < 3 || budget.Elapsed < TimeSpan.FromMinutes(1)); i++)
            {
                var query = Queries[i % Queries.Length];
                var started = Stopwatch.GetTimestamp();
                hits.Add(await subject.SearchAsync(query, CancellationToken.None));
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var s = Stats.Summarize(times);
            results.Detail($"{subject.Name}: {s} ms; hits per query {string.Join(",", hits.Take(Queries.Length))}");
            results.Add($"search over {count:N0} runbooks: {subject.Name}", "p95 <= 20 ms", $"p50 {Fmt.Ms(s.P50)}, p95 {Fmt.Ms(s.P95)} ({s.Count} queries)", s.P95 <= 20);
        }
    }

    private static async Task InsertAsync(Npgsql.NpgsqlDataSource db, IReadOnlyList<RunbookVersion> templates, int count)
    {
        const int chunk = 1_000;
        var random = new Random(42);
        for (var start = 0; start < count; start += chunk)
        {
            var n = Math.Min(chunk, count - start);
            var slugs = new string[n];
            var contents = new string[n];
            var hashes = new string[n];
            for (var i = 0; i < n; i++)
            {
                var number = start + i;
                var content = Vary(templates[number % templates.Count].Content, number, random);
                slugs[i] = $"gen-{number:D5}";
                contents[i] = RunbookJson.Serialize(content);
                hashes[i] = $"bench-{number}"; // only the seed compares hashes
            }

            const string sql = """
                WITH c AS (SELECT * FROM unnest(@slugs, @contents, @hashes) AS c(slug, content, hash)),
                     r AS (INSERT INTO runbooks (slug) SELECT slug FROM c RETURNING id, slug)
                INSERT INTO runbook_versions (runbook_id, version, content, content_hash, author, note, source)
                SELECT r.id, 1, c.content::jsonb, c.hash, 'bench', 'generated', 'import' FROM r JOIN c ON c.slug = r.slug
                """;
            await using var connection = await db.OpenConnectionAsync();
            await connection.ExecuteAsync(sql, new { slugs, contents, hashes });
        }
    }

    private static RunbookContent Vary(RunbookContent template, int number, Random random)
    {
        // Steps and solutions are shared with the template: only serialized, never changed.
        var service = Services[number % Services.Length];
        return new RunbookContent
        {
            Category = template.Category,
            Position = 1_000 + number,
            Title = LocalizedText.Of($"{service} {template.Title.In("zh-CN")} #{number}", $"{service} {template.Title.In("en")} #{number}"),
            Summary = template.Summary,
            Symptoms =
            [
                .. template.Symptoms,
                LocalizedText.Of(
                    $"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} svc-{number}",
                    $"{Words[random.Next(Words.Length)]} on {service} svc-{number}"),
            ],
            Steps = template.Steps,
            Solutions = template.Solutions,
        };
    }
}
