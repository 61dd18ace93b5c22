using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// A minimal DNS client (RFC 1035) for what .NET's resolver hides: the response code (NXDOMAIN,
/// SERVFAIL…), CNAME chains and TTLs. One question per query over UDP, a random id checked on
/// the answer (and the question echoed back), TCP when the answer is truncated.
/// </summary>
internal static class DnsWireClient
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;

    public static async Task<DnsAnswer> QueryAsync(IPEndPoint server, string name, ushort type, TimeSpan timeout, CancellationToken ct)
    {
        var id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
        var query = BuildQuery(id, name, type);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var response = await UdpAsync(server, query, id, cts.Token);
        var answer = Parse(response, id, name, type);
        if (answer.Truncated)
        {
            answer = Parse(await TcpAsync(server, query, cts.Token), id, name, type);
        }

        return answer;
    }

    internal static byte[] BuildQuery(ushort id, string name, ushort type)
    {
        var b = new List<byte>(32 + name.Length);
        b.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63)
            {
                throw new ArgumentException($"'{name}' has an empty or over-long label.", nameof(name));
            }

            b.Add((byte)bytes.Length);
            b.AddRange(bytes);
        }

        b.Add(0);
        b.AddRange([(byte)(type >> 8), (byte)type, 0, 1]); // class IN
        return [.. b];
    }

    private static async Task<byte[]> UdpAsync(IPEndPoint server, byte[] query, ushort id, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, ct); // a connected UDP socket only receives from the server
        await socket.SendAsync(query, SocketFlags.None, ct);
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
            {
                return buffer[..n];
            }

            // a stray or spoofed datagram: ignore it and keep waiting for ours
        }
    }

    private static async Task<byte[]> TcpAsync(IPEndPoint server, byte[] query, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, ct);
        var length = new byte[2];
        await stream.ReadExactlyAsync(length, ct);
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await stream.ReadExactlyAsync(response, ct);
        return response;
    }

    internal static DnsAnswer Parse(byte[] m, ushort id, string name, ushort type)
    {
        if (m.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(m) != id || (m[2] & 0x80) == 0)
        {
            throw new InvalidDataException("not an answer to our query");
        }

        var truncated = (m[2] & 0x02) != 0;
        var rcode = m[3] & 0x0f;
        var qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4));
        var an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6));
        var offset = 12;
        for (var i = 0; i < qd; i++)
        {
            var (qname, next) = ReadName(m, offset);
            if (i == 0 && (!string.Equals(qname, name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase) || BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(next)) != type))
            {
                throw new InvalidDataException("the answer is for another question");
            }

            offset = next + 4;
        }

        var records = new List<DnsRecord>();
        for (var i = 0; i < an && offset < m.Length; i++)
        {
            var (owner, next) = ReadName(m, offset);
            var rtype = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(next));
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(next + 4));
            var length = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(next + 8));
            var data = next + 10;
            if (data + length > m.Length)
            {
                throw new InvalidDataException("record runs past the end of the message");
            }

            switch (rtype)
            {
                case TypeA when length == 4:
                    records.Add(new DnsRecord(owner, "A", new IPAddress(m.AsSpan(data, 4)).ToString(), ttl));
                    break;
                case TypeAaaa when length == 16:
                    records.Add(new DnsRecord(owner, "AAAA", new IPAddress(m.AsSpan(data, 16)).ToString(), ttl));
                    break;
                case TypeCname:
                    records.Add(new DnsRecord(owner, "CNAME", ReadName(m, data).Name, ttl));
                    break;
                default:
                    break;
            }

            offset = data + length;
        }

        return new DnsAnswer(rcode, truncated, records);
    }

    private static (string Name, int Next) ReadName(byte[] m, int offset)
    {
        var labels = new List<string>();
        var next = -1;
        for (var jumps = 0; ; jumps++)
        {
            if (offset >= m.Length || jumps > 64)
            {
                throw new InvalidDataException("bad name in the message");
            }

            var len = m[offset];
            if ((len & 0xc0) == 0xc0)
            {
                if (next < 0)
                {
                    next = offset + 2;
                }

                offset = ((len & 0x3f) << 8) | m[offset + 1];
                continue;
            }

            if (len == 0)
            {
                return (string.Join('.', labels), next < 0 ? offset + 1 : next);
            }

            labels.Add(Encoding.ASCII.GetString(m, offset + 1, len));
            offset += len + 1;
        }
    }

    public static string RcodeName(int rcode) => rcode switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "RCODE" + rcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

internal sealed record DnsRecord(string Owner, string Type, string Data, uint Ttl);

internal sealed record DnsAnswer(int Rcode, bool Truncated, IReadOnlyList<DnsRecord> Records);
