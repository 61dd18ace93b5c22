using Portal.Runbooks.Engine;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Tests.Engine;

public sealed class ConditionTests
{
    public static TheoryData<string> SeedConditions =>
        [.. GuideSeeder.LoadRunbooks().SelectMany(r => r.Steps).SelectMany(s => s.Rules).Select(r => r.When).Distinct()];

    [Theory]
    [MemberData(nameof(SeedConditions))]
    public void Parse_EveryConditionInTheSeeds_Parses(string when)
    {
        var condition = Condition.Parse(when);

        Assert.NotEmpty(condition.Keys);
        Assert.Equal(condition.Root.ToString(), Condition.Parse(condition.Root.ToString()).Root.ToString());
    }

    [Theory]
    // Plain comparisons; text compares case-insensitively, blanks around the finding ignored.
    [InlineData("pg.error == auth_failed", "pg.error=auth_failed", "pass", true)]
    [InlineData("pg.error == auth_failed", "pg.error=AUTH_FAILED", "pass", true)]
    [InlineData("pg.error == auth_failed", "pg.error= auth_failed ", "pass", true)]
    [InlineData("pg.error == auth_failed", "pg.error=timeout", "pass", false)]
    [InlineData("tls.protocol == TLSv1.1", "tls.protocol=tlsv1.1", "pass", true)]
    [InlineData("tls.protocol == TLSv1", "tls.protocol=TLSv1.1", "pass", false)]
    [InlineData("x == \"a b\"", "x=A B", "pass", true)]
    [InlineData("x == \"say \\\"hi\\\"\"", "x=say \"hi\"", "pass", true)]
    // Numbers compare as numbers when both sides are numbers.
    [InlineData("x == 95", "x=95.0", "pass", true)]
    [InlineData("x == \"95\"", "x=95.00", "pass", true)]
    [InlineData("x == 1e3", "x=1000", "pass", true)]
    [InlineData("x == -1", "x=-1.0", "pass", true)]
    [InlineData("x != 95", "x=95.0", "pass", false)]
    [InlineData("redis.memory.used_pct >= 95", "redis.memory.used_pct=95", "pass", true)]
    [InlineData("redis.memory.used_pct >= 95", "redis.memory.used_pct=94.99", "pass", false)]
    [InlineData("host.cpu.used_pct > 80", "host.cpu.used_pct=80", "pass", false)]
    [InlineData("host.cpu.used_pct > 80", "host.cpu.used_pct=80.1", "pass", true)]
    [InlineData("redis.stats.hit_ratio < 0.8", "redis.stats.hit_ratio=0.75", "pass", true)]
    [InlineData("x <= 0.8", "x=0.8", "pass", true)]
    [InlineData("http.status >= 500", "http.status=503", "pass", true)]
    // Numeric operators on text are false; == / != on mixed sides compare as text.
    [InlineData("x > 5", "x=abc", "pass", false)]
    [InlineData("x < 5", "x=abc", "pass", false)]
    [InlineData("x > abc", "x=5", "pass", false)]
    [InlineData("x != 5", "x=abc", "pass", true)]
    [InlineData("x == NaN", "x=NaN", "pass", true)]
    [InlineData("x > 1", "x=Infinity", "pass", false)]
    // Missing keys: every comparison is false, != included; negate the whole comparison instead.
    [InlineData("pg.error == auth_failed", "", "pass", false)]
    [InlineData("pg.error != auth_failed", "", "pass", false)]
    [InlineData("pg.error != auth_failed", "pg.error=timeout", "pass", true)]
    [InlineData("!(pg.error == auth_failed)", "", "pass", true)]
    [InlineData("x > 5", "", "pass", false)]
    [InlineData("x < 5", "", "pass", false)]
    // exists: present and not empty or blank; empty values are absent for comparisons too.
    [InlineData("pg.privileges.missing exists", "pg.privileges.missing=CONNECT", "pass", true)]
    [InlineData("pg.privileges.missing exists", "pg.privileges.missing=", "pass", false)]
    [InlineData("pg.privileges.missing exists", "pg.privileges.missing=   ", "pass", false)]
    [InlineData("pg.privileges.missing exists", "", "pass", false)]
    [InlineData("x exists", "x=0", "pass", true)]
    [InlineData("x != a", "x=", "pass", false)]
    // Precedence: && binds tighter than ||; parentheses and negation.
    [InlineData("a exists || b exists && c exists", "a=1", "pass", true)]
    [InlineData("a exists || b exists && c exists", "b=1", "pass", false)]
    [InlineData("a exists || b exists && c exists", "b=1;c=1", "pass", true)]
    [InlineData("(a exists || b exists) && c exists", "a=1", "pass", false)]
    [InlineData("(a exists || b exists) && c exists", "a=1;c=1", "pass", true)]
    [InlineData("a exists && b exists || c exists", "c=1", "pass", true)]
    [InlineData("!a exists", "a=1", "pass", false)]
    [InlineData("!a exists", "", "pass", true)]
    [InlineData("!!a exists", "a=1", "pass", true)]
    [InlineData("!a exists && b exists", "b=1", "pass", true)]
    [InlineData("!(a exists && b exists)", "a=1;b=1", "pass", false)]
    [InlineData("((a == 1))", "a=1", "pass", true)]
    // The verdict.
    [InlineData("verdict == fail", "", "fail", true)]
    [InlineData("verdict == fail", "", "FAIL", true)]
    [InlineData("verdict == fail", "", "warn", false)]
    [InlineData("verdict == fail", "", null, false)]
    [InlineData("verdict != pass", "", "error", true)]
    [InlineData("verdict == fail || verdict == warn", "", "warn", true)]
    [InlineData("verdict == pass", "verdict=pass", "fail", false)]
    // Real seed shapes.
    [InlineData("port.owner.pid exists && port.owner.is_target_service == false", "port.owner.pid=4711;port.owner.is_target_service=False", "fail", true)]
    [InlineData("port.owner.pid exists && port.owner.is_target_service == false", "port.owner.pid=4711;port.owner.is_target_service=true", "fail", false)]
    [InlineData("tls.expired == true || tls.days_left < 14", "tls.expired=false;tls.days_left=13", "warn", true)]
    [InlineData("workflow.status == failed && workflow.failed_step exists", "workflow.status=failed", "fail", false)]
    public void Evaluate_Table(string when, string findings, string? verdict, bool expected)
    {
        Assert.Equal(expected, Condition.Parse(when).Evaluate(verdict, Findings(findings)));
    }

    [Theory]
    [InlineData("", "empty condition at 0")]
    [InlineData("   ", "empty condition at 0")]
    [InlineData("pg.error == auth_failed)", "unexpected ')' at 23")]
    [InlineData("(a exists || b exists))", "unexpected ')' at 22")]
    [InlineData("(a exists", "expected ')' to close the '(' at 0, found the end of the condition at 9")]
    [InlineData("a ==", "expected a value after '==', found the end of the condition at 4")]
    [InlineData("a == )", "expected a value after '==', found ')' at 5")]
    [InlineData("a = b", "unexpected '=' (write '==') at 2")]
    [InlineData("a exists & b exists", "unexpected '&' (write '&&') at 9")]
    [InlineData("a exists | b exists", "unexpected '|' (write '||') at 9")]
    [InlineData("a exists b exists", "unexpected 'b' at 9")]
    [InlineData("a b", "expected an operator (== != > >= < <=) or 'exists' after 'a', found 'b' at 2")]
    [InlineData("a", "expected an operator (== != > >= < <=) or 'exists' after 'a', found the end of the condition at 1")]
    [InlineData("&& a exists", "unexpected '&&' at 0")]
    [InlineData("a exists ||", "unexpected end of condition, expected a finding key at 11")]
    [InlineData("a exists && ()", "unexpected ')' at 13")]
    [InlineData("a ~ b", "unexpected '~' at 2")]
    [InlineData("Pg.Error == x", "'Pg.Error' is not a finding key (lower-case letters, digits and '_', joined by '.') at 0")]
    [InlineData("a..b exists", "'a..b' is not a finding key (lower-case letters, digits and '_', joined by '.') at 0")]
    [InlineData("\"a\" == b", "unexpected \"a\" at 0")]
    [InlineData("a == \"open", "unterminated string at 5")]
    [InlineData("verdict == failed", "'failed' is not a verdict (pass, warn, fail, error) at 11")]
    [InlineData("verdict > 1", "verdict only compares with == or !=, not '>' at 8")]
    public void Parse_Invalid_SaysWhatAndWhere(string when, string message)
    {
        var e = Assert.Throws<ConditionParseException>(() => Condition.Parse(when));

        Assert.Equal(message, e.Message);
        Assert.False(Condition.TryParse(when, out var condition, out var error));
        Assert.Null(condition);
        Assert.Equal(message, error.Message);
        Assert.Equal(e.Position, error.Position);
    }

    [Fact]
    public void Parse_SameText_ParsedOnce()
    {
        const string when = "redis.memory.used_pct >= 95 || redis.error exists";

        Assert.Same(Condition.Parse(when), Condition.Parse(when));
        Assert.True(Condition.TryParse(when, out var again, out _));
        Assert.Same(Condition.Parse(when), again);
    }

    [Fact]
    public void Parse_Tree_ShowsPrecedenceAndKeys()
    {
        var condition = Condition.Parse("a exists || !b == 1 && verdict == fail");

        var or = Assert.IsType<OrNode>(condition.Root);
        Assert.IsType<ExistsNode>(or.Operands[0]);
        var and = Assert.IsType<AndNode>(or.Operands[1]);
        var not = Assert.IsType<NotNode>(and.Operands[0]);
        var comparison = Assert.IsType<ComparisonNode>(not.Operand);
        Assert.Equal(("b", ComparisonOperator.Equal, "1", 1d), (comparison.Key, comparison.Operator, comparison.Value, comparison.Number));
        Assert.Equal(["a", "b", "verdict"], condition.Keys);
        Assert.Equal("(a exists || (!b == 1 && verdict == fail))", condition.Root.ToString());
        Assert.Equal(12, and.Position);
    }

    [Fact]
    public void Evaluate_ManyTimes_DoesNotAllocate()
    {
        var condition = Condition.Parse("(redis.error exists || redis.memory.used_pct >= 95) && !(verdict == pass) || tls.protocol == TLSv1.1");
        var findings = Findings("redis.memory.used_pct=96.5;tls.protocol=TLSv1.2");
        Assert.True(condition.Evaluate("warn", findings));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            condition.Evaluate("warn", findings);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated by 10,000 evaluations");
    }

    /// <summary>"a=1;b=two" → findings; "" → none.</summary>
    internal static Dictionary<string, string> Findings(string spec) =>
        spec.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
}
