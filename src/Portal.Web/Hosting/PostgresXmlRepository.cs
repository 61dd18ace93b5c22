using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Portal.Web.Hosting;

/// <summary>
/// Data Protection keys in the portal's PostgreSQL, so every instance shares them (a sign-in and
/// an encrypted target password work everywhere), with a copy in a local folder so the portal
/// keeps working when its database is down.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource db, DirectoryInfo localCopy, ILogger<PostgresXmlRepository> logger) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        try
        {
            using var connection = db.OpenConnection();
            var rows = connection.Query<(string Id, string Xml)>("SELECT id, xml FROM data_protection_keys ORDER BY added_at").ToList();
            foreach (var (id, xml) in rows)
            {
                WriteLocal(id, xml);
            }

            // Keys made while the database was down exist only locally until now.
            var known = rows.Select(r => r.Id).ToHashSet();
            foreach (var file in LocalFiles().Where(f => !known.Contains(Path.GetFileNameWithoutExtension(f.Name))))
            {
                TryStoreInDatabase(Path.GetFileNameWithoutExtension(file.Name), File.ReadAllText(file.FullName));
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning("Data Protection keys read from the local copy: the database is unavailable ({Error})", ex.Message);
        }

        return [.. LocalFiles().Select(f => XElement.Parse(File.ReadAllText(f.FullName)))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        var xml = element.ToString(SaveOptions.DisableFormatting);
        WriteLocal(friendlyName, xml);
        TryStoreInDatabase(friendlyName, xml);
    }

    private void TryStoreInDatabase(string id, string xml)
    {
        try
        {
            using var connection = db.OpenConnection();
            connection.Execute("INSERT INTO data_protection_keys (id, xml) VALUES (@id, @xml) ON CONFLICT (id) DO NOTHING", new { id, xml });
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning("Data Protection key {Id} kept locally only for now: {Error}", id, ex.Message);
        }
    }

    private void WriteLocal(string id, string xml)
    {
        localCopy.Create();
        var path = Path.Combine(localCopy.FullName, $"{id}.xml");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, xml);
        }
    }

    private IEnumerable<FileInfo> LocalFiles() => localCopy.Exists ? localCopy.EnumerateFiles("*.xml") : [];
}
