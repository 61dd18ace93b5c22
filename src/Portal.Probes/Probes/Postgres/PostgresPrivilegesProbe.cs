using System.Runtime.CompilerServices;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Postgres;

/// <summary>
/// What a role may do: CONNECT/CREATE/TEMP on the database, USAGE/CREATE on schemas, and its role
/// attributes. Fails when CONNECT or USAGE is missing, warns when CREATE on a schema is.
/// </summary>
public sealed class PostgresPrivilegesProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "postgres.privileges",
        Title: "PostgreSQL privileges",
        TitleZh: "PostgreSQL 权限检查",
        Description: "Reports a role's CONNECT/CREATE/TEMP privileges on the database, USAGE/CREATE on schemas and its role attributes, and what is missing.",
        TargetKinds: PgParameters.Targets,
        Parameters:
        [
            PgParameters.Database,
            new ProbeParameter("user", ParameterType.String, "Role to check; defaults to the target's user.", Pattern: PgParameters.IdentifierPattern, MaxLength: 63),
            new ProbeParameter("schemas", ParameterType.String, "Comma-separated schemas to check.", Default: "public",
                Pattern: "[A-Za-z_][A-Za-z0-9_$]{0,62}(,[A-Za-z_][A-Za-z0-9_$]{0,62}){0,9}", MaxLength: 640),
            PgParameters.ConnectTimeout,
            PgParameters.CommandTimeout,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (PgSettings.From(request) is not { } settings)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host, port or user to connect with.");
            yield break;
        }

        var role = request.GetOptional("user") ?? settings.Username;
        var schemas = request.Get("schemas").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();

        await using var session = await PgSession.OpenAsync(request, settings, ct);
        if (session.Connection is null)
        {
            // The role we log in as has no CONNECT on this database: that is the answer, not just an error.
            if (session.Events.OfType<Finding>().Any(f => f is { Key: "pg.error", Value: "permission_denied" }) && role == settings.Username)
            {
                foreach (var e in session.Events.Where(e => e is OutputLine))
                {
                    yield return e;
                }

                yield return new Finding("pg.error", "permission_denied");
                yield return new Finding("pg.privileges.database.connect", "false");
                yield return new Finding("pg.privileges.missing", "CONNECT");
                yield return new Verdict(VerdictStatus.Fail,
                    $"{role} may not connect to database {settings.Database}: GRANT CONNECT ON DATABASE \"{settings.Database}\" TO \"{role}\";");
                yield break;
            }

            foreach (var e in session.Events)
            {
                yield return e;
            }

            yield break;
        }

        foreach (var e in session.Events)
        {
            yield return e;
        }

        var (report, failure) = await session.TryAsync((c, t) => ReadAsync(c, role, schemas, t), ct);
        if (report is null)
        {
            foreach (var e in PgText.QueryFailed(failure!, "privileges"))
            {
                yield return e;
            }

            yield break;
        }

        foreach (var e in Report(report, role, settings.Database))
        {
            yield return e;
        }
    }

    private static IEnumerable<ProbeEvent> Report(Privileges p, string role, string database)
    {
        if (p.Role is not { } r)
        {
            yield return new Finding("pg.role.exists", "false");
            yield return new Finding("pg.privileges.missing", "ROLE");
            yield return new Verdict(VerdictStatus.Fail, $"Role {role} does not exist: create it (CREATE ROLE \"{role}\" LOGIN PASSWORD …) or fix the user name in the target.");
            yield break;
        }

        yield return new Finding("pg.role.exists", "true");
        var validUntil = r.ValidUntil is { } v ? v.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "never expires";
        yield return new OutputLine($"role {role}: {(r.Superuser ? "superuser" : "not superuser")}, {(r.Login ? "can log in" : "CANNOT LOG IN")}, " +
                                    $"{(r.CreateDb ? "createdb" : "no createdb")}, {(r.CreateRole ? "createrole" : "no createrole")}, " +
                                    $"connection limit {(r.ConnLimit < 0 ? "none" : ProbeText.Number(r.ConnLimit))}, password {validUntil}");
        yield return new Finding("pg.role.superuser", ProbeText.Bool(r.Superuser));
        yield return new Finding("pg.role.login", ProbeText.Bool(r.Login));
        yield return new Finding("pg.role.createdb", ProbeText.Bool(r.CreateDb));
        yield return new Finding("pg.role.connection_limit", ProbeText.Number(r.ConnLimit));
        yield return new Finding("pg.role.valid_until", r.ValidUntil is { } vu ? vu.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "infinity");

        var missing = new List<string>();
        var fixes = new List<string>();
        var fatal = false;
        if (!r.Login)
        {
            missing.Add("LOGIN");
            fixes.Add($"ALTER ROLE \"{role}\" LOGIN;");
            fatal = true;
        }

        if (r.ValidUntil is { } until && until < p.Now)
        {
            missing.Add("VALID_UNTIL");
            fixes.Add($"ALTER ROLE \"{role}\" VALID UNTIL 'infinity';");
            fatal = true;
        }

        yield return new OutputLine($"database {database}: CONNECT {Yes(p.Connect)}, CREATE {Yes(p.CreateOnDb)}, TEMP {Yes(p.Temp)}");
        yield return new Finding("pg.privileges.database.connect", ProbeText.Bool(p.Connect));
        yield return new Finding("pg.privileges.database.create", ProbeText.Bool(p.CreateOnDb));
        yield return new Finding("pg.privileges.database.temp", ProbeText.Bool(p.Temp));
        if (!p.Connect)
        {
            missing.Add("CONNECT");
            fixes.Add($"GRANT CONNECT ON DATABASE \"{database}\" TO \"{role}\";");
            fatal = true;
        }

        var warn = false;
        foreach (var s in p.Schemas)
        {
            if (!s.Exists)
            {
                yield return new OutputLine($"schema {s.Name}: does not exist", OutputStream.Stderr);
                yield return new Finding($"pg.privileges.schema.{s.Name}.exists", "false");
                missing.Add($"USAGE:{s.Name}");
                fatal = true;
                continue;
            }

            yield return new OutputLine($"schema {s.Name}: USAGE {Yes(s.Usage)}, CREATE {Yes(s.Create)}");
            yield return new Finding($"pg.privileges.schema.{s.Name}.usage", ProbeText.Bool(s.Usage));
            yield return new Finding($"pg.privileges.schema.{s.Name}.create", ProbeText.Bool(s.Create));
            if (!s.Usage)
            {
                missing.Add($"USAGE:{s.Name}");
                fixes.Add($"GRANT USAGE ON SCHEMA \"{s.Name}\" TO \"{role}\";");
                fatal = true;
            }

            if (!s.Create)
            {
                missing.Add($"CREATE:{s.Name}");
                fixes.Add($"GRANT CREATE ON SCHEMA \"{s.Name}\" TO \"{role}\";");
                warn = true;
            }
        }

        yield return new Finding("pg.privileges.missing_count", ProbeText.Number(missing.Count));
        if (missing.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Pass, $"{role} has CONNECT on {database} and USAGE and CREATE on {string.Join(", ", p.Schemas.Select(s => s.Name))}.");
            yield break;
        }

        // Only present when something is missing: runbooks branch on "pg.privileges.missing exists".
        yield return new Finding("pg.privileges.missing", string.Join(',', missing));
        foreach (var fix in fixes)
        {
            yield return new OutputLine("fix: " + fix);
        }

        yield return new Verdict(fatal ? VerdictStatus.Fail : warn ? VerdictStatus.Warn : VerdictStatus.Pass,
            $"{role} lacks {string.Join(", ", missing)} on {database}{(fatal ? "" : " (the platform needs CREATE to run its migrations)")}; as a superuser run: {string.Join(" ", fixes)}");
    }

    private static string Yes(bool value) => value ? "yes" : "NO";

    private sealed record RoleInfo(bool Superuser, bool Login, bool CreateDb, bool CreateRole, int ConnLimit, DateTime? ValidUntil);

    private sealed record SchemaPrivileges(string Name, bool Exists, bool Usage, bool Create);

    private sealed record Privileges(RoleInfo? Role, DateTime Now, bool Connect, bool CreateOnDb, bool Temp, List<SchemaPrivileges> Schemas);

    private static async Task<Privileges> ReadAsync(NpgsqlConnection c, string role, string[] schemas, CancellationToken ct)
    {
        const string roleSql = """
            SELECT rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolconnlimit,
                   CASE WHEN rolvaliduntil = 'infinity' THEN NULL ELSE rolvaliduntil END, now()
            FROM pg_roles WHERE rolname = @role
            """;
        RoleInfo? info = null;
        var now = DateTime.UtcNow;
        await using (var cmd = new NpgsqlCommand(roleSql, c))
        {
            cmd.Parameters.AddWithValue("role", role);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                info = new RoleInfo(r.GetBoolean(0), r.GetBoolean(1), r.GetBoolean(2), r.GetBoolean(3), r.GetInt32(4),
                    r.IsDBNull(5) ? null : r.GetDateTime(5));
                now = r.GetDateTime(6);
            }
        }

        if (info is null)
        {
            return new Privileges(null, now, false, false, false, []);
        }

        const string dbSql = """
            SELECT has_database_privilege(@role, current_database(), 'CONNECT'),
                   has_database_privilege(@role, current_database(), 'CREATE'),
                   has_database_privilege(@role, current_database(), 'TEMP')
            """;
        bool connect, create, temp;
        await using (var cmd = new NpgsqlCommand(dbSql, c))
        {
            cmd.Parameters.AddWithValue("role", role);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            (connect, create, temp) = (r.GetBoolean(0), r.GetBoolean(1), r.GetBoolean(2));
        }

        const string schemaSql = """
            SELECT s.name, n.oid IS NOT NULL,
                   n.oid IS NOT NULL AND has_schema_privilege(@role, n.oid, 'USAGE'),
                   n.oid IS NOT NULL AND has_schema_privilege(@role, n.oid, 'CREATE')
            FROM unnest(@schemas::text[]) WITH ORDINALITY AS s(name, i)
            LEFT JOIN pg_namespace n ON n.nspname = s.name
            ORDER BY s.i
            """;
        var result = new List<SchemaPrivileges>();
        await using (var cmd = new NpgsqlCommand(schemaSql, c))
        {
            cmd.Parameters.AddWithValue("role", role);
            cmd.Parameters.AddWithValue("schemas", schemas);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                result.Add(new SchemaPrivileges(r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.GetBoolean(3)));
            }
        }

        return new Privileges(info, now, connect, create, temp, result);
    }
}
