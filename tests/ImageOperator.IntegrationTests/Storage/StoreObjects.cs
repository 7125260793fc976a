using System.Security.Cryptography;
using ImageOperator.Storage;
using ImageOperator.Testing;
using Minio.DataModel.Args;

namespace ImageOperator.IntegrationTests.Storage;

/// <summary>The storage tests' hands on a test S3 server: a store with given keys, puts, and hashes of stored objects.</summary>
internal static class StoreObjects
{
    /// <summary>A store on <paramref name="s3"/> with the test user's access key and <paramref name="secretKey"/> (its own by default).</summary>
    public static ObjectStore NewStore(S3ServerFixture s3, string? secretKey = null) => new(
        new ObjectStoreOptions { Name = "rgw", Endpoint = s3.Endpoint.AbsoluteUri.TrimEnd('/') },
        new ObjectStoreCredentials(s3.AccessKey, secretKey ?? s3.SecretKey));

    /// <summary>Stores <paramref name="data"/> with a plain PUT.</summary>
    public static async Task PutAsync(ObjectStore store, string bucket, string key, byte[] data)
    {
        using var stream = new MemoryStream(data);
        await store.Minio.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(stream).WithObjectSize(data.Length));
    }

    /// <summary>Keys of every object in <paramref name="bucket"/>, as the server lists them.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ObjectStore store, string bucket)
    {
        var keys = new List<string>();
        await foreach (var item in store.Minio.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucket).WithRecursive(true)))
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    /// <summary>Lowercase hex SHA-256 of a stored object, read through the store's ranged reader.</summary>
    public static async Task<string> Sha256Async(ObjectStore store, string bucket, string key)
    {
        await using var reader = await store.OpenReadAsync(bucket, key);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 << 20];
        for (long offset = 0; offset < reader.Length;)
        {
            var read = await reader.ReadAtAsync(offset, buffer);
            hash.AppendData(buffer, 0, read);
            offset += read;
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
